import { DateTimeResolver, JSONObjectResolver } from 'graphql-scalars';

/** `DateTime` (ISO 8601) and `JSONObject`, as the schema names them. */
export const DateTimeScalar = DateTimeResolver;
export const JSONObjectScalar = JSONObjectResolver;
