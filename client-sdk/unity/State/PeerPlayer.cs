// 
// THIS FILE HAS BEEN GENERATED AUTOMATICALLY
// DO NOT CHANGE IT MANUALLY UNLESS YOU KNOW WHAT YOU'RE DOING
// 
// GENERATED USING @colyseus/schema 5.0.34
// 

namespace Rally.State {
	public partial class PeerPlayer : global::Colyseus.Schema.Schema {
#if UNITY_5_3_OR_NEWER
		[global::UnityEngine.Scripting.Preserve]
#endif
		public PeerPlayer() { }

		[global::Colyseus.Schema.Type(0, "boolean")]
		public bool connected = default(bool);

		[global::Colyseus.Schema.Type(1, "string")]
		public string name = default(string);

		[global::Colyseus.Schema.Type(2, "string")]
		public string sessionId = default(string);
	}
}
