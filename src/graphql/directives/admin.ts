import { DirectiveLocation, GraphQLDirective, type GraphQLSchema } from 'graphql';
import { forbidden } from '../../errors.js';
import { wrapFieldsWith } from './wrap.js';

/** `@admin`: the caller presented ADMIN_API_KEY (compared in constant time when identified). */
export const adminDirective = new GraphQLDirective({ name: 'admin', locations: [DirectiveLocation.FIELD_DEFINITION] });

export const applyAdmin = (schema: GraphQLSchema) =>
  wrapFieldsWith(schema, 'admin', () => (_args, context) => {
    if (!context.rt.config.billingEnabled) throw forbidden('billing is disabled');
    if (context.caller.kind !== 'admin') throw forbidden('This operation needs the admin key');
  });
