import { FieldColorBuilder, FieldColorModeId, MappingType, ThresholdsConfigBuilder, ThresholdsMode } from "@grafana/grafana-foundation-sdk/dashboard";
import type { DynamicConfigValue, ValueMapping } from "@grafana/grafana-foundation-sdk/dashboard";

export type Steps = Array<[number | null, string]>;

export function thresholds(steps: Steps): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps.map(([value, color]) => ({ value, color })));
}

// Colour scales. Each says which way is bad, so no field falls back to Grafana's default
// (green, red from 80), which draws a score of 95 red and an age of 60s green.
/** Score as a share of its max: red below 70% (PartnerSecurityScoreLow), green from 90%. */
export const SCORE_RATIO: Steps = [[null, "red"], [0.7, "orange"], [0.9, "green"]];
/** Age of Microsoft's daily evaluation, in seconds: green up to 2 days, yellow to a week, then red. */
export const MICROSOFT_AGE: Steps = [[null, "green"], [172_800, "yellow"], [604_800, "red"]];
/** Data age in refresh intervals: one refresh late is yellow, two (PartnerSecurityExporterDataStale) red. */
export const REFRESH_AGE: Steps = [[null, "green"], [1.25, "yellow"], [2, "red"]];
/** Counts where any is a problem (admins required to use MFA who do not). */
export const ZERO_GOOD: Steps = [[null, "green"], [1, "red"]];
/**
 * Age of an open security alert, in seconds, against Microsoft's CSP security requirement "respond to
 * security alerts within 24 hours": green below 18 hours, orange from 18 (where
 * PartnerSecurityAlertResponseTargetNear fires by default), red from 24.
 */
export const RESPONSE_AGE: Steps = [[null, "green"], [18 * 3600, "orange"], [24 * 3600, "red"]];
/** Time left of a GDAP relationship, in seconds: red below 7 days, orange below 30, green beyond. */
export const TIME_LEFT: Steps = [[null, "red"], [7 * 86_400, "orange"], [30 * 86_400, "green"]];
/** Counts with no good or bad direction: drawn in the text colour. */
export const NEUTRAL_COLOR = "text";
export const NEUTRAL: Steps = [[null, NEUTRAL_COLOR]];

export function fixedColor(color = NEUTRAL_COLOR): FieldColorBuilder {
  return new FieldColorBuilder().mode(FieldColorModeId.Fixed).fixedColor(color);
}

export function thresholdColor(): FieldColorBuilder {
  return new FieldColorBuilder().mode(FieldColorModeId.Thresholds);
}

/** Override properties: the matched fields take their colour from `steps`. */
export function colouredBy(steps: Steps): DynamicConfigValue[] {
  return [
    { id: "color", value: { mode: FieldColorModeId.Thresholds } },
    { id: "thresholds", value: { mode: ThresholdsMode.Absolute, steps: steps.map(([value, color]) => ({ value, color })) } },
  ];
}

export function valueText(entries: Record<string, [string, string]>): ValueMapping[] {
  const options = Object.fromEntries(Object.entries(entries).map(([value, [text, color]], index) => [value, { text, color, index }]));
  return [{ type: MappingType.ValueToText, options }];
}

/**
 * One MFA policy on or off. Neither is a fault: security defaults and Conditional Access exclude
 * each other, and Microsoft asks partners to retire per-user MFA. So no red here.
 */
export const POLICY_STATE = valueText({ "1": ["enabled", "blue"], "0": ["disabled", NEUTRAL_COLOR] });
/** The maximum over a tenant's MFA policies: only no policy at all is a fault. */
export const ANY_POLICY = valueText({ "1": ["yes", "green"], "0": ["no MFA policy", "red"] });

