import { z } from 'zod';
import { isCountryCode } from '../auth/countries.js';
import { InvalidError } from '../core/errors.js';
import type { NoticeKind } from '../db/schema.js';

/**
 * The content of a notice, validated here for the service and the API alike (one schema, so the stored JSON is
 * always in this shape). Dates are calendar dates `YYYY-MM-DD`; countries ISO 3166-1 alpha-2.
 */
const text = (max: number) => z.string().trim().max(max);
export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
  }, 'not a calendar date');
export const countryCode = z
  .string()
  .regex(/^[A-Za-z]{2}$/, 'an ISO 3166-1 alpha-2 country code')
  .transform((s) => s.toUpperCase())
  .refine(isCountryCode, 'unknown country code');

const personName = z.strictObject({ family: text(200).min(1), given: text(200).default('') });
const birth = z
  .strictObject({ date: isoDate.optional(), year: z.number().int().min(1900).max(2100).optional(), place: text(300).optional() })
  .refine((b) => b.date === undefined || b.year === undefined || b.date.startsWith(String(b.year)), 'the year of birth disagrees with the date of birth');
const physicalDescription = z.strictObject({
  heightCm: z.number().int().min(30).max(260).optional(),
  weightKg: z.number().int().min(2).max(400).optional(),
  build: text(200).optional(),
  hair: text(200).optional(),
  eyes: text(200).optional(),
  distinguishingMarks: text(2000).optional(),
  other: text(5000).optional(),
});
const identityDocument = z.strictObject({ type: text(100).min(1), number: text(100).min(1), issuingCountry: countryCode.optional(), expires: isoDate.optional() });

const basePerson = {
  names: z.array(personName).min(1).max(10),
  aliases: z.array(text(200).min(1)).max(50).default([]),
  sex: z.enum(['female', 'male', 'unknown']),
  birth: birth.nullable().default(null),
  nationalities: z.array(countryCode).max(10).default([]),
  physicalDescription: physicalDescription.default({}),
};

export const greenBody = z.strictObject({
  person: z.strictObject({ ...basePerson, identityDocuments: z.array(identityDocument).max(20).default([]) }),
  convictions: z
    .array(z.strictObject({ country: countryCode, date: isoDate.optional(), court: text(300).optional(), offences: z.array(text(500).min(1)).min(1).max(50), sentence: text(1000).optional() }))
    .max(100)
    .default([]),
  modusOperandi: text(20000).default(''),
  riskAssessment: z.strictObject({ level: z.enum(['low', 'medium', 'high', 'very_high']), summary: text(20000).default(''), assessedOn: isoDate }),
  knownTravel: z.array(z.strictObject({ country: countryCode, from: isoDate.optional(), to: isoDate.optional(), details: text(2000).default('') })).max(200).default([]),
});

export const yellowBody = z.strictObject({
  person: z.strictObject(basePerson),
  disappearance: z.strictObject({
    date: isoDate,
    place: text(500).min(1),
    country: countryCode,
    latitude: z.number().min(-90).max(90).optional(),
    longitude: z.number().min(-180).max(180).optional(),
  }),
  circumstances: text(20000).default(''),
  /** How guardians are reached: always through the issuing unit, never a direct private contact. */
  guardiansContact: text(2000).default(''),
});

export type GreenBody = z.output<typeof greenBody>;
export type YellowBody = z.output<typeof yellowBody>;
export type NoticeBody = GreenBody | YellowBody;

/** Checks a body for a notice kind; InvalidError names the first problem's path. */
export function parseBody(kind: NoticeKind, input: unknown): NoticeBody {
  const result = (kind === 'green' ? greenBody : yellowBody).safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InvalidError(`notice ${kind === 'green' ? 'Green' : 'Yellow'}: ${issue.path.join('.') || 'body'}: ${issue.message}`, { issues: result.error.issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), message: i.message })) });
  }
  const body = result.data;
  if (kind === 'yellow') {
    const y = body as YellowBody;
    if ((y.disappearance.latitude === undefined) !== (y.disappearance.longitude === undefined)) throw new InvalidError('notice Yellow: disappearance: give both latitude and longitude, or neither');
  }
  return body;
}

/** The main name of the subject: "FAMILY, Given". */
export function subjectName(body: NoticeBody): string {
  const n = body.person.names[0];
  return n.given ? `${n.family.toUpperCase()}, ${n.given}` : n.family.toUpperCase();
}
