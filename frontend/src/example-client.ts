// A short client written against the generated types: if a field it uses disappears from
// docs/openapi.yaml, `npm run check` (tsc --strict) fails, and so does CI.
import type { components, operations, paths } from "./schema";

type Agreement = components["schemas"]["Agreement"];
type Rate = components["schemas"]["Rate"];
type EffectiveRate = components["schemas"]["EffectiveRate"];
type AgreementQuery = NonNullable<operations["listAgreements"]["parameters"]["query"]>;
type EffectiveQuery = operations["getEffectiveRate"]["parameters"]["query"];
type EffectiveRateRefused = components["schemas"]["GetEffectiveRateValidationError"];

const BASE = "http://127.0.0.1:8000";

function query(params: Record<string, string | string[] | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined) search.append(key, String(item));
    }
  }
  return search.toString();
}

export async function agreementsInForce(parties: string[], on: string): Promise<Agreement[]> {
  const params: AgreementQuery = { party: parties, active_on: on, as_of: on, page_size: 100 };
  const response = await fetch(`${BASE}/api/v1/agreements/?${query(params)}`);
  const page = (await response.json()) as
    paths["/api/v1/agreements/"]["get"]["responses"][200]["content"]["application/json"];
  return page.results;
}

export function describeAgreement(agreement: Agreement): string {
  const expiry = agreement.expires_on ?? "no expiry";
  return `${agreement.title} (${agreement.parties.join("-")}): ${agreement.status}, to ${expiry}`;
}

export async function ratePeriod(id: number): Promise<Rate> {
  const response = await fetch(`${BASE}/api/v1/rates/${id}/`);
  return (await response.json()) as
    paths["/api/v1/rates/{id}/"]["get"]["responses"][200]["content"]["application/json"];
}

export function describeRatePeriod(period: Rate): string {
  const until = period.valid_to ?? "further notice";
  const origin = period.origin ?? "all origins";
  return `${period.importer} on ${origin}: ${period.rate}% (${period.legal_basis}, ${period.kind}) from ${period.valid_from} to ${until}`;
}

export async function effectiveRate(params: EffectiveQuery): Promise<EffectiveRate> {
  const response = await fetch(`${BASE}/api/v1/rates/effective/?${query(params)}`);
  if (response.status === 400) {
    const refused = (await response.json()) as EffectiveRateRefused;
    throw new Error(refused.errors.map((e) => `${e.attr}: ${e.detail}`).join("; "));
  }
  return (await response.json()) as
    operations["getEffectiveRate"]["responses"][200]["content"]["application/json"];
}

export function explain(rate: EffectiveRate): string {
  const lines = rate.components.map(
    (c) => `${c.instrument} (${c.legal_basis}, ${c.kind}): ${c.rate}% adds ${c.applied_rate}%`,
  );
  const total = rate.total_rate ?? "unknown (no base rate)";
  return [...lines, `total ${total}%`].join("\n");
}

export async function main(): Promise<void> {
  for (const agreement of await agreementsInForce(["US", "CN"], "2025-08-01")) {
    console.log(describeAgreement(agreement));
  }
  console.log(describeRatePeriod(await ratePeriod(1)));
  const rate = await effectiveRate({ importer: "US", origin: "CN", hs: "950300", date: "2025-04-10" });
  console.log(explain(rate));
}
