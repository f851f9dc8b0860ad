/**
 * Customer names and domains for the simulated customer tenants. The slots of `index % 500` below
 * hold the quirks (a quote, a backslash, non-ASCII letters, a newline, missing names), so that every
 * tenant count from 10 up has each of them and a large one has a few of each.
 */
import { pick, seededFraction } from "./data.js";

const BASES = [
  "Contoso", "Fabrikam", "Northwind Traders", "Adventure Works", "Tailspin Toys", "Wingtip Toys", "Woodgrove Bank", "Litware",
  "Proseware", "Alpine Ski House", "Coho Winery", "Lamna Healthcare", "Trey Research", "Relecloud", "Wide World Importers",
  "Fourth Coffee", "Margie's Travel", "Humongous Insurance", "Lucerne Publishing", "Blue Yonder Airlines", "VanArsdel",
  "Consolidated Messenger", "Southridge Video", "City Power & Light", "Bellows College", "First Up Consultants", "A. Datum",
  "Graphic Design Institute", "Munson's Pickles", "Best For You Organics", "Olympia", "Nod Publishers", "Tasmanian Traders",
  "Fincher Architects", "Boulder Innovations", "Baldwin Museum of Science", "School of Fine Art", "Wingtip Partners",
];
const PLACES = ["", "", "", " Nordics", " UK", " Benelux", " Iberia", " DACH", " APAC", " US", " Canada", " Australia", " Ireland", " France"];
const FORMS = ["", " Ltd", " Inc.", " LLC", " GmbH", " AB", " B.V.", " S.A.", " Pty Ltd", " Oy", " Group", " Holdings"];
const NON_ASCII = [
  "Société Lumière SARL", "Åkesson & Söner AB", "Niño Café S.L.", "Łódź Logistyka Sp. z o.o.", "Ørsted Rådgivning ApS",
  "Çelik Yapı A.Ş.", "Þór Verkfræði ehf.", "Straße & Söhne KG", "Αθηνά Λογιστική", "Ōsaka Trading KK",
];

/** Names with characters that need escaping, and one with no Latin letters at all. */
const SPECIAL: ReadonlyMap<number, { readonly name: string; readonly domain: string }> = new Map([
  [2, { name: 'Fabrikam "EU"', domain: "fabrikameu" }],
  [3, { name: "Contoso\\Legacy", domain: "contosolegacy" }],
  [4, { name: "Müller Bau GmbH", domain: "muellerbau" }],
  [5, { name: "東京システム株式会社", domain: "tokyosystemkk" }],
  [9, { name: "Northwind Traders\nOperations", domain: "northwindops" }],
]);
/** Entra has no display name for the customer (delegatedAdminCustomer.displayName is nullable). */
const NO_DIRECTORY_NAME = new Set([6, 256]);
/** The contract's copy of the name is missing, its domain is there. */
const NO_CONTRACT_NAME = new Set([7, 257]);
/** The contract has neither a name nor a domain. */
const NO_CONTRACT_NAME_OR_DOMAIN = new Set([8]);

export interface CustomerNames {
  /** The Entra display name, as delegatedAdminCustomers and the GDAP relationships give it. */
  readonly directoryName: string | null;
  /** The copy on the contract, taken when the partnership was established. */
  readonly contractName: string | null;
  readonly defaultDomainName: string | null;
}

/** Lower-case ASCII letters and digits of a name, at most 20 of them. */
function domainLabel(name: string): string {
  // NFD splits "ü" into "u" and a combining mark; only needed (and it is slow) for non-ASCII names.
  return (/^[\x20-\x7e]*$/.test(name) ? name : name.normalize("NFD"))
    .replace(/[^A-Za-z0-9]/g, "")
    .toLowerCase()
    .slice(0, 20);
}

function plainName(seed: number, index: number): string {
  if (seededFraction(seed, index, 30) < 0.03) return pick(NON_ASCII, seededFraction(seed, index, 31));
  return `${pick(BASES, seededFraction(seed, index, 32))}${pick(PLACES, seededFraction(seed, index, 33))}${pick(FORMS, seededFraction(seed, index, 34))}`;
}

/** The names of the customer tenant at `index`; a domain is unique per tenant. */
export function customerNames(seed: number, index: number): CustomerNames {
  const slot = index % 500;
  const special = SPECIAL.get(slot);
  const name = special?.name ?? plainName(seed, index);
  // Special names keep their documented domain the first time; repeats and plain names carry the index.
  const label = special && index < 500 ? special.domain : `${special?.domain ?? (domainLabel(name) || "tenant")}${index}`;
  const missingBoth = NO_CONTRACT_NAME_OR_DOMAIN.has(slot);
  return {
    directoryName: NO_DIRECTORY_NAME.has(slot) ? null : name,
    contractName: missingBoth || NO_CONTRACT_NAME.has(slot) ? null : name,
    defaultDomainName: missingBoth ? null : `${label}.onmicrosoft.com`,
  };
}
