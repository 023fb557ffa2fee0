// 
// THIS FILE HAS BEEN GENERATED AUTOMATICALLY
// DO NOT CHANGE IT MANUALLY UNLESS YOU KNOW WHAT YOU'RE DOING
// 
// GENERATED USING @colyseus/schema 5.0.34
// 

namespace Rally.State {
	public partial class ArenaPlayer : global::Colyseus.Schema.Schema {
#if UNITY_5_3_OR_NEWER
		[global::UnityEngine.Scripting.Preserve]
#endif
		public ArenaPlayer() { }

		[global::Colyseus.Schema.Type(0, "string")]
		public string playerId = default(string);

		[global::Colyseus.Schema.Type(1, "string")]
		public string name = default(string);

		[global::Colyseus.Schema.Type(2, "uint8")]
		public byte team = 0;

		[global::Colyseus.Schema.Type(3, "float32")]
		public double x = 0;

		[global::Colyseus.Schema.Type(4, "float32")]
		public double y = 0;

		[global::Colyseus.Schema.Type(5, "float32")]
		public double aim = 0;

		[global::Colyseus.Schema.Type(6, "uint8")]
		public byte hp = 3;

		[global::Colyseus.Schema.Type(7, "uint16")]
		public ushort score = 0;

		[global::Colyseus.Schema.Type(8, "boolean")]
		public bool connected = true;

		[global::Colyseus.Schema.Type(9, "uint16")]
		public ushort respawnInMs = 0;

		[global::Colyseus.Schema.Type(10, "uint8")]
		public byte ammo = 0;

		[global::Colyseus.Schema.Type(11, "uint32")]
		public uint lastSeq = 0;
	}
}
