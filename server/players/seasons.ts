/** Season ids from a schedule (UTC): a new season's boards start empty; old seasons stay readable. */
export type SeasonSchedule = "monthly" | "weekly" | "none";

export function seasonId(schedule: SeasonSchedule, now: number): string {
  const d = new Date(now);
  if (schedule === "none") return "all";
  if (schedule === "monthly") return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
  // ISO week: the Thursday of this week decides the year.
  const day = (d.getUTCDay() + 6) % 7;
  const thursday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day + 3));
  const firstThursday = new Date(Date.UTC(thursday.getUTCFullYear(), 0, 4));
  const week = 1 + Math.round((thursday.getTime() - firstThursday.getTime()) / (7 * 86_400_000) - ((firstThursday.getUTCDay() + 6) % 7 - 3) / 7);
  return `${thursday.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}

export const SEASON_ID = /^(all|\d{4}-\d{2}|\d{4}-W\d{2})$/;
