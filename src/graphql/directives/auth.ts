import { DirectiveLocation, GraphQLDirective, type GraphQLSchema } from 'graphql';
import { requirePrincipal } from '../context.js';
import { wrapFieldsWith } from './wrap.js';

/** `@auth`: a valid user key (Bearer or X-API-Key), else UNAUTHENTICATED. The admin key is not a user key. */
export const authDirective = new GraphQLDirective({ name: 'auth', locations: [DirectiveLocation.FIELD_DEFINITION] });

export const applyAuth = (schema: GraphQLSchema) =>
  wrapFieldsWith(schema, 'auth', () => (_args, context) => void requirePrincipal(context));
