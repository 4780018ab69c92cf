import { DateTimeResolver, JSONObjectResolver } from 'graphql-scalars';

/** `DateTime` (ISO 8601) and `JSONObject`, as SPEC §4 names them. */
export const DateTimeScalar = DateTimeResolver;
export const JSONObjectScalar = JSONObjectResolver;
