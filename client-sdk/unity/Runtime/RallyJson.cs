// A small JSON reader/writer for Rally's HTTP bodies, so the client needs no JSON package: Unity's
// JsonUtility cannot read nullable fields, dictionaries or `{ "party": null }`, and Newtonsoft is an
// extra dependency. Objects parse to Dictionary<string, object>, arrays to List<object>, numbers to
// double, plus string, bool and null. C# 7, no reflection (IL2CPP-safe).
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Rally
{
	public static class RallyJson
	{
		/// <summary>Parses one JSON value; throws FormatException on malformed input or trailing data.</summary>
		public static object Parse(string json)
		{
			if (json == null) throw new ArgumentNullException("json");
			var reader = new Reader(json);
			reader.SkipWhitespace();
			var value = reader.ReadValue(0);
			reader.SkipWhitespace();
			if (!reader.AtEnd) throw reader.Error("trailing characters");
			return value;
		}

		/// <summary>Writes a value: IDictionary (string keys), IEnumerable, string, bool, numbers, null.</summary>
		public static string Serialize(object value)
		{
			var sb = new StringBuilder();
			Write(sb, value, 0);
			return sb.ToString();
		}

		const int MaxDepth = 64;

		static void Write(StringBuilder sb, object value, int depth)
		{
			if (depth > MaxDepth) throw new FormatException("JSON nesting too deep");
			if (value == null) { sb.Append("null"); return; }
			var s = value as string;
			if (s != null) { WriteString(sb, s); return; }
			if (value is bool) { sb.Append((bool)value ? "true" : "false"); return; }
			if (value is double || value is float)
			{
				var d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
				if (double.IsNaN(d) || double.IsInfinity(d)) throw new FormatException("JSON has no NaN or Infinity");
				sb.Append(d.ToString("R", CultureInfo.InvariantCulture));
				return;
			}
			if (value is int || value is long || value is uint || value is ulong || value is short || value is ushort || value is byte || value is sbyte || value is decimal)
			{
				sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
				return;
			}
			// The Colyseus SDK's message dictionaries implement only the generic interface.
			var generic = value as IDictionary<string, object>;
			if (generic != null)
			{
				sb.Append('{');
				var first = true;
				foreach (var e in generic)
				{
					if (!first) sb.Append(',');
					first = false;
					WriteString(sb, e.Key);
					sb.Append(':');
					Write(sb, e.Value, depth + 1);
				}
				sb.Append('}');
				return;
			}
			var dict = value as IDictionary;
			if (dict != null)
			{
				sb.Append('{');
				var first = true;
				foreach (DictionaryEntry e in dict)
				{
					if (!first) sb.Append(',');
					first = false;
					WriteString(sb, Convert.ToString(e.Key, CultureInfo.InvariantCulture));
					sb.Append(':');
					Write(sb, e.Value, depth + 1);
				}
				sb.Append('}');
				return;
			}
			var list = value as IEnumerable;
			if (list != null)
			{
				sb.Append('[');
				var first = true;
				foreach (var item in list)
				{
					if (!first) sb.Append(',');
					first = false;
					Write(sb, item, depth + 1);
				}
				sb.Append(']');
				return;
			}
			throw new FormatException("cannot write a " + value.GetType().Name + " as JSON");
		}

		static void WriteString(StringBuilder sb, string s)
		{
			sb.Append('"');
			foreach (var c in s)
			{
				switch (c)
				{
					case '"': sb.Append("\\\""); break;
					case '\\': sb.Append("\\\\"); break;
					case '\n': sb.Append("\\n"); break;
					case '\r': sb.Append("\\r"); break;
					case '\t': sb.Append("\\t"); break;
					default:
						if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
						else sb.Append(c);
						break;
				}
			}
			sb.Append('"');
		}

		sealed class Reader
		{
			readonly string s;
			int i;

			public Reader(string s) { this.s = s; }

			public bool AtEnd { get { return i >= s.Length; } }

			public FormatException Error(string what)
			{
				return new FormatException("invalid JSON at " + i + ": " + what);
			}

			public void SkipWhitespace()
			{
				while (i < s.Length && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
			}

			public object ReadValue(int depth)
			{
				if (depth > MaxDepth) throw Error("nesting too deep");
				if (AtEnd) throw Error("unexpected end");
				var c = s[i];
				if (c == '{') return ReadObject(depth);
				if (c == '[') return ReadArray(depth);
				if (c == '"') return ReadString();
				if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber();
				if (Literal("true")) return true;
				if (Literal("false")) return false;
				if (Literal("null")) return null;
				throw Error("unexpected '" + c + "'");
			}

			bool Literal(string word)
			{
				if (string.CompareOrdinal(s, i, word, 0, word.Length) != 0) return false;
				i += word.Length;
				return true;
			}

			Dictionary<string, object> ReadObject(int depth)
			{
				var result = new Dictionary<string, object>();
				i++; // {
				SkipWhitespace();
				if (i < s.Length && s[i] == '}') { i++; return result; }
				while (true)
				{
					SkipWhitespace();
					if (AtEnd || s[i] != '"') throw Error("expected a key");
					var key = ReadString();
					SkipWhitespace();
					if (AtEnd || s[i] != ':') throw Error("expected ':'");
					i++;
					SkipWhitespace();
					result[key] = ReadValue(depth + 1);
					SkipWhitespace();
					if (AtEnd) throw Error("unexpected end in object");
					if (s[i] == ',') { i++; continue; }
					if (s[i] == '}') { i++; return result; }
					throw Error("expected ',' or '}'");
				}
			}

			List<object> ReadArray(int depth)
			{
				var result = new List<object>();
				i++; // [
				SkipWhitespace();
				if (i < s.Length && s[i] == ']') { i++; return result; }
				while (true)
				{
					SkipWhitespace();
					result.Add(ReadValue(depth + 1));
					SkipWhitespace();
					if (AtEnd) throw Error("unexpected end in array");
					if (s[i] == ',') { i++; continue; }
					if (s[i] == ']') { i++; return result; }
					throw Error("expected ',' or ']'");
				}
			}

			string ReadString()
			{
				i++; // opening quote
				var sb = new StringBuilder();
				while (true)
				{
					if (AtEnd) throw Error("unterminated string");
					var c = s[i++];
					if (c == '"') return sb.ToString();
					if (c < 0x20) throw Error("control character in string");
					if (c != '\\') { sb.Append(c); continue; }
					if (AtEnd) throw Error("unterminated escape");
					var e = s[i++];
					switch (e)
					{
						case '"': sb.Append('"'); break;
						case '\\': sb.Append('\\'); break;
						case '/': sb.Append('/'); break;
						case 'b': sb.Append('\b'); break;
						case 'f': sb.Append('\f'); break;
						case 'n': sb.Append('\n'); break;
						case 'r': sb.Append('\r'); break;
						case 't': sb.Append('\t'); break;
						case 'u':
							if (i + 4 > s.Length) throw Error("short \\u escape");
							int code;
							if (!int.TryParse(s.Substring(i, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out code)) throw Error("bad \\u escape");
							sb.Append((char)code);
							i += 4;
							break;
						default: throw Error("bad escape '\\" + e + "'");
					}
				}
			}

			double ReadNumber()
			{
				var start = i;
				if (s[i] == '-') i++;
				while (i < s.Length && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == 'e' || s[i] == 'E' || s[i] == '+' || s[i] == '-')) i++;
				double d;
				if (!double.TryParse(s.Substring(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out d)) throw Error("bad number");
				return d;
			}
		}
	}

	/// <summary>Typed reads from a parsed JSON object; a missing key or a JSON null gives the fallback.</summary>
	public static class JsonRead
	{
		public static Dictionary<string, object> Object(object value)
		{
			var d = value as Dictionary<string, object>;
			if (d == null) throw new FormatException("expected a JSON object");
			return d;
		}

		static object Get(Dictionary<string, object> o, string key)
		{
			object v;
			return o != null && o.TryGetValue(key, out v) ? v : null;
		}

		public static string String(Dictionary<string, object> o, string key, string fallback = null)
		{
			var v = Get(o, key);
			return v == null ? fallback : v as string ?? Convert.ToString(v, CultureInfo.InvariantCulture);
		}

		public static double Number(Dictionary<string, object> o, string key, double fallback = 0)
		{
			var v = Get(o, key);
			return v is double ? (double)v : fallback;
		}

		public static double? NullableNumber(Dictionary<string, object> o, string key)
		{
			var v = Get(o, key);
			return v is double ? (double?)(double)v : null;
		}

		public static long Long(Dictionary<string, object> o, string key, long fallback = 0)
		{
			var v = Get(o, key);
			return v is double ? (long)(double)v : fallback;
		}

		public static int Int(Dictionary<string, object> o, string key, int fallback = 0)
		{
			var v = Get(o, key);
			return v is double ? (int)(double)v : fallback;
		}

		public static bool Bool(Dictionary<string, object> o, string key, bool fallback = false)
		{
			var v = Get(o, key);
			return v is bool ? (bool)v : fallback;
		}

		public static Dictionary<string, object> Child(Dictionary<string, object> o, string key)
		{
			return Get(o, key) as Dictionary<string, object>;
		}

		public static List<object> Array(Dictionary<string, object> o, string key)
		{
			return Get(o, key) as List<object> ?? new List<object>();
		}

		public static List<string> Strings(Dictionary<string, object> o, string key)
		{
			var result = new List<string>();
			foreach (var item in Array(o, key))
			{
				var s = item as string;
				if (s != null) result.Add(s);
			}
			return result;
		}
	}
}
