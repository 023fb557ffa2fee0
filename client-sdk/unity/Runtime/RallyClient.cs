// Rally's HTTP API for Unity (and any .NET 4.x / .NET Standard 2.x runtime): guest and account sign-in,
// rotating refresh, profiles, parties. Rooms (queue, arena, social, relay) go through the official
// Colyseus Unity SDK with Session.token as its Auth.Token; see Samples/RallyArenaSample.cs.
//
// Threading: every method returns a Task and may be awaited from Unity's main thread (continuations
// come back to it). Calls the API answers with AUTH_EXPIRED_TOKEN are retried once after one shared
// refresh: two refreshes of the same token would look like token theft to the server (AUTH_TOKEN_REUSED)
// and revoke the session, so concurrent callers wait for the same refresh.
using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Threading.Tasks;

namespace Rally
{
	public sealed class RallyHttpResponse
	{
		public int Status;
		public string Body;
		public int? RetryAfterSeconds;
	}

	/// <summary>The one seam to the network. HttpClientTransport is the default; a WebGL build needs one over UnityWebRequest.</summary>
	public interface IRallyTransport
	{
		Task<RallyHttpResponse> SendAsync(string method, string url, string jsonBody, string bearerToken);
	}

	/// <summary>System.Net.Http.HttpClient (Unity: .NET Framework 4.x or .NET Standard 2.x API level; not WebGL).</summary>
	public sealed class HttpClientTransport : IRallyTransport, IDisposable
	{
		readonly HttpClient http;

		public HttpClientTransport(TimeSpan? timeout = null)
		{
			http = new HttpClient();
			http.Timeout = timeout ?? TimeSpan.FromSeconds(15);
		}

		public async Task<RallyHttpResponse> SendAsync(string method, string url, string jsonBody, string bearerToken)
		{
			using (var request = new HttpRequestMessage(new HttpMethod(method), url))
			{
				request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
				if (bearerToken != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
				if (jsonBody != null) request.Content = new StringContent(jsonBody, Encoding.UTF8, "application/json");
				using (var response = await http.SendAsync(request).ConfigureAwait(false))
				{
					var body = response.Content == null ? "" : await response.Content.ReadAsStringAsync().ConfigureAwait(false);
					int? retryAfter = null;
					var header = response.Headers.RetryAfter;
					if (header != null && header.Delta.HasValue) retryAfter = (int)Math.Ceiling(header.Delta.Value.TotalSeconds);
					return new RallyHttpResponse { Status = (int)response.StatusCode, Body = body, RetryAfterSeconds = retryAfter };
				}
			}
		}

		public void Dispose() { http.Dispose(); }
	}

	public class RallyClient
	{
		/// <summary>Codes after which the refresh token is dead: sign in again.</summary>
		static readonly HashSet<string> SessionEnding = new HashSet<string>
		{
			"AUTH_TOKEN_REUSED", "AUTH_REVOKED", "AUTH_INVALID_TOKEN", "AUTH_EXPIRED_TOKEN", "PLAYER_BANNED",
		};

		public readonly string BaseUrl;
		readonly IRallyTransport transport;
		readonly object gate = new object();
		Task<RallySession> refreshing;
		RallySession session;

		/// <summary>Raised after every sign-in, refresh and sign-out (null): persist the session (for example in PlayerPrefs).</summary>
		public event Action<RallySession> SessionChanged;

		/// <param name="baseUrl">The node or load balancer, e.g. https://play.example.com (no trailing /v1).</param>
		public RallyClient(string baseUrl, IRallyTransport transport = null)
		{
			if (string.IsNullOrEmpty(baseUrl)) throw new ArgumentException("baseUrl is required", "baseUrl");
			BaseUrl = baseUrl.TrimEnd('/');
			this.transport = transport ?? new HttpClientTransport();
		}

		/// <summary>The signed-in player's tokens; set it to restore a saved session.</summary>
		public RallySession Session
		{
			get { lock (gate) return session; }
			set { SetSession(value); }
		}

		void SetSession(RallySession value)
		{
			lock (gate) session = value;
			var handler = SessionChanged;
			if (handler != null) handler(value);
		}

		// ---- auth -----------------------------------------------------------------------------------

		/// <summary>POST /v1/auth/guest. With a deviceId (8-128 of A-Za-z0-9_-) the same device gets the same guest back.</summary>
		public async Task<RallySession> SignInAsGuestAsync(string deviceId = null)
		{
			var body = new Dictionary<string, object>();
			if (deviceId != null) body["deviceId"] = deviceId;
			var answer = await SendAsync("POST", "/v1/auth/guest", body, null).ConfigureAwait(false);
			var s = RallySession.FromJson(answer);
			SetSession(s);
			return s;
		}

		/// <summary>POST /v1/auth/login.</summary>
		public async Task<RallySession> LoginAsync(string username, string password)
		{
			var body = new Dictionary<string, object> { { "username", username }, { "password", password } };
			var s = RallySession.FromJson(await SendAsync("POST", "/v1/auth/login", body, null).ConfigureAwait(false));
			SetSession(s);
			return s;
		}

		/// <summary>POST /v1/auth/register: turns the signed-in guest into an account (new tokens).</summary>
		public async Task<RallySession> RegisterAsync(string username, string password)
		{
			var body = new Dictionary<string, object> { { "username", username }, { "password", password } };
			var s = RallySession.FromJson(await AuthedAsync("POST", "/v1/auth/register", body).ConfigureAwait(false));
			SetSession(s);
			return s;
		}

		/// <summary>POST /v1/auth/refresh: rotates the refresh token. Concurrent callers share one refresh.</summary>
		public Task<RallySession> RefreshAsync()
		{
			lock (gate)
			{
				if (refreshing == null)
				{
					refreshing = DoRefreshAsync();
					// A refresh that finished synchronously (no session) must not stay cached.
					if (refreshing.IsCompleted)
					{
						var done = refreshing;
						refreshing = null;
						return done;
					}
				}
				return refreshing;
			}
		}

		async Task<RallySession> DoRefreshAsync()
		{
			try
			{
				var current = Session;
				if (current == null || string.IsNullOrEmpty(current.refreshToken)) throw new RallyException("AUTH_MISSING_TOKEN", "no session to refresh", 401);
				Dictionary<string, object> answer;
				try
				{
					answer = await SendAsync("POST", "/v1/auth/refresh", new Dictionary<string, object> { { "refreshToken", current.refreshToken } }, null).ConfigureAwait(false);
				}
				catch (RallyException e)
				{
					if (SessionEnding.Contains(e.Code) && ReferenceEquals(Session, current)) SetSession(null);
					throw;
				}
				var s = RallySession.FromJson(answer, current);
				SetSession(s);
				return s;
			}
			finally
			{
				lock (gate) refreshing = null;
			}
		}

		/// <summary>
		/// The access token, refreshed first when it has less than minValidSeconds left: hand it to the
		/// Colyseus SDK (client.Auth.Token) right before matchmaking or joining a room.
		/// </summary>
		public async Task<string> GetFreshTokenAsync(int minValidSeconds = 60)
		{
			var current = Session;
			if (current == null) throw new RallyException("AUTH_MISSING_TOKEN", "sign in first", 401);
			if (current.SecondsLeft() >= minValidSeconds) return current.token;
			return (await RefreshAsync().ConfigureAwait(false)).token;
		}

		/// <summary>POST /v1/auth/logout (revokes the refresh token's session), then forgets the session.</summary>
		public async Task LogoutAsync()
		{
			var current = Session;
			if (current == null) return;
			try
			{
				await SendAsync("POST", "/v1/auth/logout", new Dictionary<string, object> { { "refreshToken", current.refreshToken } }, null).ConfigureAwait(false);
			}
			finally
			{
				SetSession(null);
			}
		}

		// ---- players --------------------------------------------------------------------------------

		/// <summary>GET /v1/players/me: own profile with ratings.</summary>
		public async Task<RallyProfile> GetMyProfileAsync()
		{
			return RallyProfile.FromJson(await AuthedAsync("GET", "/v1/players/me", null).ConfigureAwait(false));
		}

		/// <summary>GET /v1/players/{id}: someone's public profile.</summary>
		public async Task<RallyProfile> GetPlayerAsync(string playerId)
		{
			return RallyProfile.FromJson(await AuthedAsync("GET", "/v1/players/" + Uri.EscapeDataString(playerId), null).ConfigureAwait(false));
		}

		/// <summary>PATCH /v1/players/me { name }.</summary>
		public async Task<RallyProfile> RenameAsync(string name)
		{
			var answer = await AuthedAsync("PATCH", "/v1/players/me", new Dictionary<string, object> { { "name", name } }).ConfigureAwait(false);
			return RallyProfile.FromJson(answer);
		}

		// ---- party ----------------------------------------------------------------------------------

		/// <summary>GET /v1/party: the caller's party, or null.</summary>
		public Task<RallyParty> GetPartyAsync() { return PartyAsync("GET", "/v1/party", null); }

		/// <summary>POST /v1/party: a new party led by the caller (mode optional).</summary>
		public Task<RallyParty> CreatePartyAsync(string mode = null)
		{
			var body = new Dictionary<string, object>();
			if (mode != null) body["mode"] = mode;
			return PartyAsync("POST", "/v1/party", body);
		}

		public Task<RallyParty> InviteToPartyAsync(string playerId) { return PartyAsync("POST", "/v1/party/invite", Target(playerId)); }
		public Task<RallyParty> AcceptPartyInviteAsync(string partyId) { return PartyAsync("POST", "/v1/party/accept", new Dictionary<string, object> { { "partyId", partyId } }); }
		public async Task DeclinePartyInviteAsync(string partyId) { await AuthedAsync("POST", "/v1/party/decline", new Dictionary<string, object> { { "partyId", partyId } }).ConfigureAwait(false); }
		public Task<RallyParty> JoinPartyByCodeAsync(string code) { return PartyAsync("POST", "/v1/party/join", new Dictionary<string, object> { { "code", code } }); }
		public async Task LeavePartyAsync() { await AuthedAsync("POST", "/v1/party/leave", null).ConfigureAwait(false); }
		public Task<RallyParty> KickFromPartyAsync(string playerId) { return PartyAsync("POST", "/v1/party/kick", Target(playerId)); }
		public Task<RallyParty> PromoteInPartyAsync(string playerId) { return PartyAsync("POST", "/v1/party/promote", Target(playerId)); }
		/// <summary>POST /v1/party/mode; null clears the mode.</summary>
		public Task<RallyParty> SetPartyModeAsync(string mode) { return PartyAsync("POST", "/v1/party/mode", new Dictionary<string, object> { { "mode", mode } }); }
		/// <summary>POST /v1/party/queue: the leader starts queueing; members then join the `queue` room with { mode, partyId }.</summary>
		public Task<RallyParty> StartPartyQueueAsync(string mode) { return PartyAsync("POST", "/v1/party/queue", new Dictionary<string, object> { { "mode", mode } }); }
		public Task<RallyParty> CancelPartyQueueAsync() { return PartyAsync("POST", "/v1/party/queue/cancel", null); }

		static Dictionary<string, object> Target(string playerId) { return new Dictionary<string, object> { { "playerId", playerId } }; }

		async Task<RallyParty> PartyAsync(string method, string path, Dictionary<string, object> body)
		{
			var answer = await AuthedAsync(method, path, body).ConfigureAwait(false);
			return RallyParty.FromJson(JsonRead.Child(answer, "party"));
		}

		// ---- plumbing -------------------------------------------------------------------------------

		/// <summary>A call with the access token; on AUTH_EXPIRED_TOKEN, one refresh (shared) and one retry.</summary>
		async Task<Dictionary<string, object>> AuthedAsync(string method, string path, Dictionary<string, object> body)
		{
			var current = Session;
			if (current == null) throw new RallyException("AUTH_MISSING_TOKEN", "sign in first", 401);
			try
			{
				return await SendAsync(method, path, body, current.token).ConfigureAwait(false);
			}
			catch (RallyException e)
			{
				if (e.Code != "AUTH_EXPIRED_TOKEN" || string.IsNullOrEmpty(current.refreshToken)) throw;
			}
			// Expired. Another call may have refreshed meanwhile: then just use its token.
			var now = Session;
			if (now == null || ReferenceEquals(now, current)) now = await RefreshAsync().ConfigureAwait(false);
			return await SendAsync(method, path, body, now.token).ConfigureAwait(false);
		}

		async Task<Dictionary<string, object>> SendAsync(string method, string path, Dictionary<string, object> body, string token)
		{
			RallyHttpResponse response;
			try
			{
				response = await transport.SendAsync(method, BaseUrl + path, body == null ? null : RallyJson.Serialize(body), token).ConfigureAwait(false);
			}
			catch (Exception e)
			{
				throw new RallyException("NETWORK", e.Message, 0, null, e);
			}
			Dictionary<string, object> parsed = null;
			if (!string.IsNullOrEmpty(response.Body))
			{
				try { parsed = RallyJson.Parse(response.Body) as Dictionary<string, object>; }
				catch (FormatException) { parsed = null; }
			}
			if (response.Status >= 200 && response.Status < 300)
			{
				if (parsed == null && response.Status != 204) throw new RallyException("BAD_RESPONSE", "the answer is not a JSON object", response.Status);
				return parsed ?? new Dictionary<string, object>();
			}
			var error = JsonRead.Child(parsed, "error");
			if (error == null) throw new RallyException("BAD_RESPONSE", "HTTP " + response.Status + " without a Rally error body", response.Status, response.RetryAfterSeconds);
			throw new RallyException(JsonRead.String(error, "code", "INTERNAL"), JsonRead.String(error, "message", ""), response.Status, response.RetryAfterSeconds);
		}
	}
}
