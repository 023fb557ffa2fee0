/**
 * Reserved display names: a player may not pass for staff or for Rally itself. Names are
 * NFKC-normalised first (fullwidth `Ａｄｍｉｎ` becomes `Admin`), then reduced to a "skeleton":
 * lower case, common homoglyphs (Cyrillic and Greek look-alikes) and digits/symbols used as letters
 * (`Adm1n`, `5ystem`, `@dmin`) mapped to Latin letters, separators and combining marks dropped.
 * A name is refused when a word of it, or the whole name without separators, starts or ends with a
 * reserved word's skeleton ("Admin", "TheAdmin", "Admin_Bob"; "Badminton" is fine).
 */

export const RESERVED_NAMES = ["admin", "administrator", "system", "moderator", "mod", "rally", "server", "staff", "support", "official", "gamemaster", "root", "developer", "dev"] as const;

// Look-alikes to Latin; digits and symbols first, then Cyrillic, then Greek (all lower case after toLowerCase).
const CONFUSABLES: Record<string, string> = {
  "0": "o", "1": "i", "!": "i", "|": "i", "3": "e", "4": "a", "@": "a", "5": "s", "$": "s", "7": "t", "8": "b", "9": "g", "6": "g", "2": "z",
  "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x",
  "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ӏ": "i", "ԛ": "q", "ԝ": "w", "һ": "h", "ɡ": "g", "ı": "i", "ł": "l",
  "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "m", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ζ": "z", "ѵ": "v",
};

/** `l` and `i` look alike in many fonts: both become `i`. */
function skeleton(s: string): string {
  let out = "";
  for (const ch of s.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase()) out += CONFUSABLES[ch] ?? ch;
  return out.replace(/l/g, "i").replace(/[^a-z]/g, "");
}

const RESERVED_SKELETONS = RESERVED_NAMES.map(skeleton);
const SHORT = 4; // reserved words this short ("mod", "dev", "root") only match a whole word

/** The reserved word a name imitates, or null. `name` should already be NFKC-normalised. */
export function reservedNameMatch(name: string): string | null {
  const words = name.normalize("NFKC").split(/[\s_\-.]+/).map(skeleton).filter(Boolean);
  const whole = words.join("");
  for (const [i, r] of RESERVED_SKELETONS.entries()) {
    const short = r.length <= SHORT;
    if (words.some((w) => w === r) || whole === r) return RESERVED_NAMES[i]!;
    if (short) continue;
    if (words.some((w) => w.startsWith(r) || w.endsWith(r)) || whole.startsWith(r) || whole.endsWith(r)) return RESERVED_NAMES[i]!;
  }
  return null;
}
