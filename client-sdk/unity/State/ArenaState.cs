// 
// THIS FILE HAS BEEN GENERATED AUTOMATICALLY
// DO NOT CHANGE IT MANUALLY UNLESS YOU KNOW WHAT YOU'RE DOING
// 
// GENERATED USING @colyseus/schema 5.0.34
// 

namespace Rally.State {
	public partial class ArenaState : global::Colyseus.Schema.Schema {
#if UNITY_5_3_OR_NEWER
		[global::UnityEngine.Scripting.Preserve]
#endif
		public ArenaState() { }

		[global::Colyseus.Schema.Type(0, "string")]
		public string phase = "waiting";

		[global::Colyseus.Schema.Type(1, "uint32")]
		public uint elapsedMs = 0;

		[global::Colyseus.Schema.Type(2, "uint32")]
		public uint timeLimitMs = 0;

		[global::Colyseus.Schema.Type(3, "uint16")]
		public ushort scoreLimit = 0;

		[global::Colyseus.Schema.Type(4, "array", typeof(global::Colyseus.Schema.ArraySchema<ushort>), "uint16")]
		public global::Colyseus.Schema.ArraySchema<ushort> teamScores = new global::Colyseus.Schema.ArraySchema<ushort>();

		[global::Colyseus.Schema.Type(5, "map", typeof(global::Colyseus.Schema.MapSchema<ArenaPlayer>))]
		public global::Colyseus.Schema.MapSchema<ArenaPlayer> players = new global::Colyseus.Schema.MapSchema<ArenaPlayer>();

		[global::Colyseus.Schema.Type(6, "map", typeof(global::Colyseus.Schema.MapSchema<ArenaBullet>))]
		public global::Colyseus.Schema.MapSchema<ArenaBullet> bullets = new global::Colyseus.Schema.MapSchema<ArenaBullet>();

		[global::Colyseus.Schema.Type(7, "int8")]
		public sbyte winnerTeam = -1;
	}
}
