// Sample MonoBehaviour: sign in through Rally's HTTP API (Runtime/RallyClient.cs), queue with the
// official Colyseus Unity SDK (0.18 line), take the seat, play the arena with the generated state classes
// (State/), and queue again after a no-show.
//
// NOT COMPILED IN RALLY'S TESTS: it needs UnityEngine and the Colyseus Unity SDK, which do not exist on
// the test machine. The test only checks that it parses as C# 7 (`mcs --parse`). The SDK calls follow the
// SDK's public API (Client, Room<T>, OnMessage, Send, ConsumeSeatReservation, Callbacks.Get); check its
// bundled example if your SDK version names them differently.
using System.Collections.Generic;
using System.Threading.Tasks;
using Colyseus;
using Colyseus.Schema;
using Rally;
using Rally.State;
using UnityEngine;

public class RallyArenaSample : MonoBehaviour
{
	[Tooltip("The node or load balancer, e.g. https://play.example.com")]
	public string endpoint = "http://localhost:2567";
	public string mode = "arena";

	const string SessionKey = "rally.session";

	RallyClient rally;
	Client colyseus;
	Room<NoState> queue;
	Room<ArenaState> match;
	int seq;
	float nextSend;

	async void Start()
	{
		rally = new RallyClient(endpoint);
		// The refresh token rotates on every refresh: always keep the newest one.
		rally.SessionChanged += s =>
		{
			if (s == null) PlayerPrefs.DeleteKey(SessionKey);
			else PlayerPrefs.SetString(SessionKey, JsonUtility.ToJson(s));
		};
		colyseus = new Client(endpoint);

		try
		{
			await SignIn();
			var me = await rally.GetMyProfileAsync();
			Debug.Log("Signed in as " + me.name + " (" + me.playerId + "), " + me.ratings.Count + " ratings");
			await Queue();
		}
		catch (RallyException e)
		{
			// e.Code is from Rally's error catalog: RATE_LIMITED (see e.RetryAfterSeconds), PLAYER_BANNED, NETWORK...
			Debug.LogError("Rally: " + e.Code + " " + e.Message);
		}
	}

	async Task SignIn()
	{
		var saved = PlayerPrefs.GetString(SessionKey, "");
		if (saved != "")
		{
			rally.Session = JsonUtility.FromJson<RallySession>(saved);
			try
			{
				await rally.RefreshAsync();
				return;
			}
			catch (RallyException e)
			{
				if (e.Code == "NETWORK") throw;
				// Revoked, reused or expired: the client dropped the session; sign in again below.
			}
		}
		// A guest tied to this device; DEVICE_REGISTERED means the player registered: use LoginAsync.
		await rally.SignInAsGuestAsync("unity-" + SystemInfo.deviceUniqueIdentifier);
	}

	async Task Queue()
	{
		// Matchmaking and the room read the player from the token, never from join options.
		colyseus.Auth.Token = await rally.GetFreshTokenAsync();
		queue = await colyseus.JoinOrCreate("queue", new Dictionary<string, object> { { "mode", mode } });
		queue.OnMessage<Dictionary<string, object>>("status", message =>
		{
			var status = QueueStatus.FromMessage(message);
			var eta = status.estimatedWaitMs.HasValue ? ", about " + Mathf.RoundToInt((float)(status.estimatedWaitMs.Value / 1000)) + " s left" : "";
			Debug.Log("Queue: " + status.state + ", waited " + Mathf.RoundToInt((float)(status.waitedMs / 1000)) + " s" + eta);
			if (status.state == QueueStatus.Cancelled) Debug.LogWarning("Queue cancelled: " + status.reason);
		});
		queue.OnMessage<SeatReservation>("seat", async seat =>
		{
			await queue.Send("confirm"); // the server then closes the queue connection
			colyseus.Auth.Token = await rally.GetFreshTokenAsync();
			match = await colyseus.ConsumeSeatReservation<ArenaState>(seat);
			WatchMatch(match);
		});
	}

	void WatchMatch(Room<ArenaState> room)
	{
		var callbacks = Callbacks.Get(room);
		callbacks.Listen(state => state.phase, (phase, previous) => Debug.Log("Phase: " + phase));
		callbacks.OnAdd(state => state.players, (sessionId, player) =>
		{
			Debug.Log(player.name + " joined team " + player.team + (sessionId == room.SessionId ? " (you)" : ""));
			callbacks.Listen(player, p => p.hp, (hp, previous) => Debug.Log(player.name + " hp " + hp));
		});
		callbacks.OnRemove(state => state.players, (sessionId, player) => Debug.Log(player.name + " left"));

		room.OnMessage<Dictionary<string, object>>("error", e => Debug.LogWarning(e["code"] + ": " + e["message"]));
		room.OnMessage<Dictionary<string, object>>("result", r => Debug.Log("Match over: " + r["reason"] + ", winner team " + r["winnerTeam"]));
		room.OnMessage<Dictionary<string, object>>("requeue", r =>
		{
			// Someone never showed up: this match will not start. Queue again.
			match = null;
			_ = Queue();
		});
		room.OnLeave += code => { if (match == room) match = null; };
	}

	void Update()
	{
		// At most 20 inputs/s: the room kicks a client that sends more than its message budget.
		if (match == null || Time.time < nextSend) return;
		nextSend = Time.time + 0.05f;
		_ = match.Send("input", new Dictionary<string, object>
		{
			{ "seq", ++seq },
			{ "x", Input.GetAxisRaw("Horizontal") },
			{ "y", -Input.GetAxisRaw("Vertical") },
			{ "aim", 0f },
			{ "fire", Input.GetButton("Fire1") },
		});
	}

	async void OnDestroy()
	{
		if (match != null) await match.Leave();
		if (queue != null) await queue.Leave();
	}
}
