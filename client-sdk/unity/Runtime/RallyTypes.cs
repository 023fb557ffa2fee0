// The shapes of Rally's HTTP answers and of the `queue` room's `status` message, as plain C# classes.
// Field names follow the JSON (server/http/*.ts, server/players/profiles.ts, server/social/parties.ts,
// matchmaker/queue-room.ts). Each has FromJson(parsed object); unknown fields are ignored, so a newer
// server does not break an older client.
using System;
using System.Collections.Generic;

namespace Rally
{
	/// <summary>An error answer `{ "error": { "code", "message" } }`; Code is from Rally's catalog (protocol/errors.ts).</summary>
	public class RallyException : Exception
	{
		/// <summary>Catalog code, e.g. AUTH_INVALID_TOKEN, PARTY_FULL; NETWORK when no answer came; BAD_RESPONSE for an unreadable one.</summary>
		public readonly string Code;
		/// <summary>HTTP status (0 when no answer came).</summary>
		public readonly int Status;
		/// <summary>Seconds to wait before retrying (Retry-After), when the server said so.</summary>
		public readonly int? RetryAfterSeconds;

		public RallyException(string code, string message, int status, int? retryAfterSeconds = null, Exception inner = null)
			: base(code + ": " + message, inner)
		{
			Code = code;
			Status = status;
			RetryAfterSeconds = retryAfterSeconds;
		}
	}

	/// <summary>Tokens for one signed-in player. Keep RefreshToken somewhere safe (it rotates on each refresh).</summary>
	[Serializable]
	public class RallySession
	{
		public string playerId;
		public string name;
		/// <summary>Null for a guest.</summary>
		public string username;
		/// <summary>Access token: `Authorization: Bearer` on the API, and the Colyseus SDK's Auth.Token.</summary>
		public string token;
		public string refreshToken;
		/// <summary>Access token lifetime in seconds, as issued.</summary>
		public int expiresIn;
		/// <summary>When this client received the tokens (its own clock, Unix ms): GetFreshTokenAsync compares against it.</summary>
		public long receivedAtUnixMs;

		/// <summary>Seconds the access token has left by this client's clock (negative once expired).</summary>
		public double SecondsLeft()
		{
			return expiresIn - (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - receivedAtUnixMs) / 1000.0;
		}

		public static RallySession FromJson(Dictionary<string, object> o, RallySession previous = null)
		{
			return new RallySession
			{
				playerId = JsonRead.String(o, "playerId"),
				name = JsonRead.String(o, "name", previous != null ? previous.name : null),
				username = JsonRead.String(o, "username", previous != null ? previous.username : null),
				token = JsonRead.String(o, "token"),
				refreshToken = JsonRead.String(o, "refreshToken"),
				expiresIn = JsonRead.Int(o, "expiresIn"),
				receivedAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
			};
		}
	}

	[Serializable]
	public class RallyRating
	{
		public string mode;
		public double mmr;
		/// <summary>Only on one's own profile (0 on someone else's).</summary>
		public double mu;
		public double sigma;
		public int wins;
		public int losses;
		public int draws;
		public int matches;

		public static RallyRating FromJson(Dictionary<string, object> o)
		{
			return new RallyRating
			{
				mode = JsonRead.String(o, "mode"),
				mmr = JsonRead.Number(o, "mmr"),
				mu = JsonRead.Number(o, "mu"),
				sigma = JsonRead.Number(o, "sigma"),
				wins = JsonRead.Int(o, "wins"),
				losses = JsonRead.Int(o, "losses"),
				draws = JsonRead.Int(o, "draws"),
				matches = JsonRead.Int(o, "matches"),
			};
		}
	}

	/// <summary>`GET /v1/players/me` (all fields) or `GET /v1/players/{id}` (public fields only).</summary>
	[Serializable]
	public class RallyProfile
	{
		public string playerId;
		public string name;
		/// <summary>ISO 8601.</summary>
		public string createdAt;
		/// <summary>Own profile only; null for a guest.</summary>
		public string username;
		public bool banned;
		public List<RallyRating> ratings = new List<RallyRating>();

		public static RallyProfile FromJson(Dictionary<string, object> o)
		{
			var p = new RallyProfile
			{
				playerId = JsonRead.String(o, "playerId"),
				name = JsonRead.String(o, "name"),
				createdAt = JsonRead.String(o, "createdAt"),
				username = JsonRead.String(o, "username"),
				banned = JsonRead.Bool(o, "banned"),
			};
			foreach (var r in JsonRead.Array(o, "ratings")) p.ratings.Add(RallyRating.FromJson(JsonRead.Object(r)));
			return p;
		}
	}

	[Serializable]
	public class RallyPartyMember
	{
		public string playerId;
		public string name;
	}

	[Serializable]
	public class RallyPartyQueue
	{
		public string mode;
		/// <summary>Unix time in ms when the party started queueing.</summary>
		public long since;
	}

	/// <summary>The party as `/v1/party*` returns it.</summary>
	[Serializable]
	public class RallyParty
	{
		public string partyId;
		public string leaderId;
		public List<RallyPartyMember> members = new List<RallyPartyMember>();
		/// <summary>Null until the leader picks a mode.</summary>
		public string mode;
		public int maxSize;
		/// <summary>6-character join code to share.</summary>
		public string code;
		/// <summary>Player ids with a pending invite.</summary>
		public List<string> invited = new List<string>();
		/// <summary>Null unless the party is queueing.</summary>
		public RallyPartyQueue queue;

		/// <summary>Null for JSON null (no party).</summary>
		public static RallyParty FromJson(Dictionary<string, object> o)
		{
			if (o == null) return null;
			var p = new RallyParty
			{
				partyId = JsonRead.String(o, "partyId"),
				leaderId = JsonRead.String(o, "leaderId"),
				mode = JsonRead.String(o, "mode"),
				maxSize = JsonRead.Int(o, "maxSize"),
				code = JsonRead.String(o, "code"),
				invited = JsonRead.Strings(o, "invited"),
			};
			foreach (var m in JsonRead.Array(o, "members"))
			{
				var mo = JsonRead.Object(m);
				p.members.Add(new RallyPartyMember { playerId = JsonRead.String(mo, "playerId"), name = JsonRead.String(mo, "name") });
			}
			var q = JsonRead.Child(o, "queue");
			if (q != null) p.queue = new RallyPartyQueue { mode = JsonRead.String(q, "mode"), since = JsonRead.Long(q, "since") };
			return p;
		}
	}

	/// <summary>The `queue` room's `status` message (matchmaker/queue-room.ts QueueStatus).</summary>
	[Serializable]
	public class QueueStatus
	{
		public const string Gathering = "gathering";
		public const string Searching = "searching";
		/// <summary>A match waits for every player's accept (modes with acceptS; answer "accept" / "decline" with { matchId }).</summary>
		public const string Proposed = "proposed";
		public const string Matched = "matched";
		public const string Cancelled = "cancelled";

		/// <summary>gathering | searching | proposed | matched | cancelled.</summary>
		public string state;
		public string mode;
		public double waitedMs;
		/// <summary>Remaining wait from recent matches of this mode and region; null when there is no honest figure.</summary>
		public double? estimatedWaitMs;
		/// <summary>How many recent matches the estimate is based on.</summary>
		public int estimateBasis;
		/// <summary>Current rating half-window.</summary>
		public double skillWindow;
		/// <summary>Regions the ticket may play in, home first.</summary>
		public List<string> regions = new List<string>();
		public string region;
		/// <summary>Party members connected / needed; null for a solo ticket.</summary>
		public QueuePartyProgress party;
		/// <summary>Why a ticket was cancelled (a catalog-style code), else null.</summary>
		public string reason;
		/// <summary>Wait (s) from which bots may fill empty seats; null when the mode never uses bots.</summary>
		public double? botsAtS;
		/// <summary>Wait (s) at which more regions open to this ticket; null when no expansion is left.</summary>
		public double? nextRegionsAtS;
		/// <summary>The regions that open at nextRegionsAtS, nearest first.</summary>
		public List<string> nextRegions = new List<string>();

		public static QueueStatus FromJson(Dictionary<string, object> o)
		{
			var s = new QueueStatus
			{
				state = JsonRead.String(o, "state"),
				mode = JsonRead.String(o, "mode"),
				waitedMs = JsonRead.Number(o, "waitedMs"),
				estimatedWaitMs = JsonRead.NullableNumber(o, "estimatedWaitMs"),
				estimateBasis = JsonRead.Int(o, "estimateBasis"),
				skillWindow = JsonRead.Number(o, "skillWindow"),
				regions = JsonRead.Strings(o, "regions"),
				region = JsonRead.String(o, "region"),
				reason = JsonRead.String(o, "reason"),
				botsAtS = JsonRead.NullableNumber(o, "botsAtS"),
				nextRegionsAtS = JsonRead.NullableNumber(o, "nextRegionsAtS"),
				nextRegions = JsonRead.Strings(o, "nextRegions"),
			};
			var p = JsonRead.Child(o, "party");
			if (p != null) s.party = new QueuePartyProgress { connected = JsonRead.Int(p, "connected"), size = JsonRead.Int(p, "size") };
			return s;
		}

		/// <summary>The status message as the Colyseus SDK hands it over (OnMessage&lt;Dictionary&lt;string, object&gt;&gt;).</summary>
		public static QueueStatus FromMessage(IDictionary<string, object> message)
		{
			return FromJson(JsonRead.Object(RallyJson.Parse(RallyJson.Serialize(message))));
		}
	}

	[Serializable]
	public class QueuePartyProgress
	{
		public int connected;
		public int size;
	}
}
