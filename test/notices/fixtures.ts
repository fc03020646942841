/** Synthetic notice content (invented people, no real data). */
export function greenBody(family = 'Doe', overrides: Record<string, unknown> = {}) {
  return {
    person: {
      names: [{ family, given: 'John' }],
      aliases: ['JD'],
      sex: 'male',
      birth: { year: 1970 },
      nationalities: ['fr'],
      identityDocuments: [{ type: 'passport', number: 'X0000001', issuingCountry: 'FR' }],
      physicalDescription: { heightCm: 180, hair: 'grey', distinguishingMarks: 'scar on left hand' },
    },
    convictions: [{ country: 'FR', date: '2015-03-01', court: 'Tribunal X', offences: ['sexual assault of a minor'], sentence: '8 years' }],
    modusOperandi: 'approaches children through sports clubs',
    riskAssessment: { level: 'high', summary: 'likely to reoffend', assessedOn: '2026-01-15' },
    knownTravel: [{ country: 'TH', from: '2025-12-01', details: 'tourist visa' }],
    ...overrides,
  };
}

export function yellowBody(family = 'Roe', overrides: Record<string, unknown> = {}) {
  return {
    person: { names: [{ family, given: 'Jane' }], sex: 'female', birth: { date: '2013-04-02' }, physicalDescription: { heightCm: 140, eyes: 'brown' } },
    disappearance: { date: '2026-10-30', place: 'Lyon, Part-Dieu station', country: 'FR', latitude: 45.76, longitude: 4.86 },
    circumstances: 'left school and did not come home',
    guardiansContact: 'through the issuing unit, reference YL-1',
    ...overrides,
  };
}
