// 
// THIS FILE HAS BEEN GENERATED AUTOMATICALLY
// DO NOT CHANGE IT MANUALLY UNLESS YOU KNOW WHAT YOU'RE DOING
// 
// GENERATED USING @colyseus/schema 5.0.34
// 

namespace Rally.State {
	public partial class PeerState : global::Colyseus.Schema.Schema {
#if UNITY_5_3_OR_NEWER
		[global::UnityEngine.Scripting.Preserve]
#endif
		public PeerState() { }

		[global::Colyseus.Schema.Type(0, "map", typeof(global::Colyseus.Schema.MapSchema<PeerPlayer>))]
		public global::Colyseus.Schema.MapSchema<PeerPlayer> players = new global::Colyseus.Schema.MapSchema<PeerPlayer>();

		[global::Colyseus.Schema.Type(1, "string")]
		public string host = "";

		[global::Colyseus.Schema.Type(2, "string")]
		public string code = "";
	}
}
