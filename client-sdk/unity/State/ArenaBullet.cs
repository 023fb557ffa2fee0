// 
// THIS FILE HAS BEEN GENERATED AUTOMATICALLY
// DO NOT CHANGE IT MANUALLY UNLESS YOU KNOW WHAT YOU'RE DOING
// 
// GENERATED USING @colyseus/schema 5.0.34
// 

namespace Rally.State {
	public partial class ArenaBullet : global::Colyseus.Schema.Schema {
#if UNITY_5_3_OR_NEWER
		[global::UnityEngine.Scripting.Preserve]
#endif
		public ArenaBullet() { }

		[global::Colyseus.Schema.Type(0, "float32")]
		public double x = 0;

		[global::Colyseus.Schema.Type(1, "float32")]
		public double y = 0;

		[global::Colyseus.Schema.Type(2, "float32")]
		public double vx = 0;

		[global::Colyseus.Schema.Type(3, "float32")]
		public double vy = 0;

		[global::Colyseus.Schema.Type(4, "uint8")]
		public byte team = 0;
	}
}
