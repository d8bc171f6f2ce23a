/**
 * Polygon v3 stock trade conditions with their consolidated update rules
 * (docs/polygon.md#conditions; source: a raw
 * `/v3/reference/conditions?asset_class=stocks` response of 2026-07-09).
 * `last` is `update_rules.consolidated.updates_open_close`, the SIP
 * "update last" column.
 */
export interface TradeCondition {
  id: number;
  name: string;
  /** Updates consolidated high/low. */
  highLow: boolean;
  /** Updates the consolidated last price (the rule `sip-last` applies). */
  last: boolean;
  /** Updates consolidated volume. */
  volume: boolean;
  /** `legacy: true` in the v3 table. */
  legacy?: boolean;
}

const c = (
  id: number,
  name: string,
  highLow: boolean,
  last: boolean,
  volume: boolean,
  legacy = false,
): TradeCondition =>
  legacy
    ? { id, name, highLow, last, volume, legacy }
    : { id, name, highLow, last, volume };

const Y = true;
const N = false;

/** Every stock sale condition that carries consolidated update rules. */
export const TRADE_CONDITIONS: readonly TradeCondition[] = [
  c(1, 'Acquisition', Y, Y, Y),
  c(2, 'Average Price Trade', N, N, Y),
  c(3, 'Automatic Execution', Y, Y, Y),
  c(4, 'Bunched Trade', Y, Y, Y),
  c(5, 'Bunched Sold Trade', Y, N, Y),
  c(6, 'CAP Election', Y, Y, Y, true),
  c(7, 'Cash Sale', N, N, Y),
  c(8, 'Closing Prints', Y, Y, Y),
  c(9, 'Cross Trade', Y, Y, Y),
  c(10, 'Derivatively Priced', Y, N, Y),
  c(11, 'Distribution', Y, Y, Y),
  c(12, 'Form T/Extended Hours', N, N, Y),
  c(13, 'Extended Hours (Sold Out Of Sequence)', N, N, Y),
  c(14, 'Intermarket Sweep', Y, Y, Y),
  c(15, 'Market Center Official Close', N, N, N),
  c(16, 'Market Center Official Open', N, N, N),
  c(17, 'Market Center Opening Trade', Y, Y, Y),
  c(18, 'Market Center Reopening Trade', Y, Y, Y),
  c(19, 'Market Center Closing Trade', Y, Y, Y),
  c(20, 'Next Day', N, N, Y),
  c(21, 'Price Variation Trade', N, N, Y),
  c(22, 'Prior Reference Price', Y, N, Y),
  c(23, 'Rule 155 Trade (AMEX)', Y, Y, Y),
  c(24, 'Rule 127 (NYSE only)', Y, Y, Y),
  c(25, 'Opening Prints', Y, Y, Y),
  c(27, 'Stopped Stock (Regular Trade)', Y, Y, Y, true),
  c(28, 'Re-Opening Prints', Y, Y, Y),
  c(29, 'Seller', N, N, Y),
  c(30, 'Sold Last', Y, Y, Y),
  c(31, 'Sold Last and Stopped Stock', Y, Y, Y, true),
  c(32, 'Sold (Out Of Sequence)', Y, N, Y),
  c(33, 'Sold (Out of Sequence) and Stopped Stock', Y, N, Y, true),
  c(34, 'Split Trade', Y, Y, Y),
  c(35, 'Stock Option', Y, Y, Y, true),
  c(36, 'Yellow Flag Regular Trade', Y, Y, Y),
  c(37, 'Odd Lot Trade', N, N, Y),
  c(38, 'Corrected Consolidated Close (per listing market)', Y, Y, N),
  c(41, 'Trade Thru Exempt', Y, Y, Y),
  c(52, 'Contingent Trade', N, N, Y),
  c(53, 'Qualified Contingent Trade', N, N, Y),
  c(55, 'Opening Reopening Trade Detail', Y, Y, Y, true),
];

/**
 * Trade indicators without update rules (short-sale restriction and
 * financial status): neutral for eligibility. 0 is the pre-v3 "Regular
 * Sale", still seen in spec examples (`"c":[0,12]`): also neutral.
 */
export const NEUTRAL_CONDITION_IDS: readonly number[] = [
  0, 57, 58, 59, 60, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71,
];

/** The existing Go backend's `tradeConditionsToSkipOhlc` (docs/go-backend.md#trade-condition-filter). */
export const BACKEND_EXCLUDED_IDS: readonly number[] = [
  2, 7, 13, 20, 21, 37, 52, 53,
];

/** Conditions whose consolidated rule says "does not update last". */
export const SIP_LAST_EXCLUDED_IDS: readonly number[] = TRADE_CONDITIONS.filter(
  cond => !cond.last,
).map(cond => cond.id);

const KNOWN = new Set<number>([
  ...TRADE_CONDITIONS.map(cond => cond.id),
  ...NEUTRAL_CONDITION_IDS,
]);

/** True for an id in the reference table (with or without update rules). */
export function isKnownConditionId(id: number): boolean {
  return KNOWN.has(id);
}
