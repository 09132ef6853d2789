/**
 * Input variable values, in Terraform's precedence (later wins): the declared default,
 * `KOLLA_VAR_name` environment variables, `*.auto.vars.hcl` files in lexical order, then
 * `-var-file` and `-var` in the order they were given. Values are converted to the
 * declared type and checked against the variable's validation rules.
 */
import path from 'node:path';
import type { Expr, Value } from './hcl/ast.js';
import type { DecodedBlock } from './decode.js';
import type { Diagnostics } from '../diags/diagnostic.js';
import { DiagnosticError, errorAt, type SourceRange } from '../diags/diagnostic.js';
import { didYouMean } from '../diags/suggest.js';
import { convert, parseType, typeString, type TypeConstraint } from './type-constraint.js';
import { findAutoVarFiles, readSource } from './files.js';
import { parseExpression, parseFile } from './hcl/parser.js';
import { evaluate } from './expr/evaluate.js';
import { standardFunctions } from './expr/functions.js';

export interface VariableDecl {
  name: string;
  type: TypeConstraint;
  default?: Value;
  hasDefault: boolean;
  sensitive: boolean;
  nullable: boolean;
  description?: string;
  validations: { condition: Expr; errorMessage: Expr; range: SourceRange }[];
  range: SourceRange;
}

/** A value given on the command line: `-var name=value` or `-var-file FILE`, in order. */
export type VarArg = { kind: 'var'; text: string } | { kind: 'file'; path: string };

interface Given {
  value: Value;
  /** Raw text from -var or the environment: parsed as HCL when the type is not a string. */
  raw: boolean;
  source: string;
  range?: SourceRange;
}

export function declareVariables(
  blocks: DecodedBlock[],
  diags: Diagnostics,
  baseDir: string,
): Map<string, VariableDecl> {
  const out = new Map<string, VariableDecl>();
  for (const b of blocks) {
    if (b.type !== 'variable') continue;
    const name = b.labels[0]!;
    let type: TypeConstraint = { kind: 'any' };
    const t = b.attrs.get('type');
    if (t) {
      const parsed = parseType(t.expr);
      if (typeof parsed === 'string') diags.error('Invalid type specification', t.expr.range, parsed);
      else type = parsed;
    }
    const decl: VariableDecl = {
      name,
      type,
      hasDefault: false,
      sensitive: false,
      nullable: true,
      validations: [],
      range: b.labelRanges[0]!,
    };
    const ctx = { variables: {}, functions: standardFunctions, baseDir };
    const lit = (attr: string): Value | undefined => {
      const a = b.attrs.get(attr);
      if (!a) return undefined;
      try {
        return evaluate(a.expr, ctx);
      } catch (e) {
        if (e instanceof DiagnosticError) {
          diags.error(
            `Variables not allowed in ${attr} of variable "${name}"`,
            a.expr.range,
            `${e.diagnostic.summary}. The ${attr} of a variable must be a literal value.`,
          );
          return undefined;
        }
        throw e;
      }
    };
    const def = b.attrs.get('default');
    if (def) {
      // The variable has a default even when it is invalid (reported below): it is not
      // "required", and saying so would be a second, misleading error.
      decl.hasDefault = true;
      const v = lit('default');
      if (v !== undefined) {
        try {
          decl.default = convert(v, type);
        } catch (msg) {
          diags.error(
            `Invalid default value for variable "${name}"`,
            def.expr.range,
            `${String(msg)} (type ${typeString(type)}).`,
          );
        }
      }
    }
    decl.sensitive = lit('sensitive') === true;
    if (lit('nullable') === false) decl.nullable = false;
    const desc = lit('description');
    if (typeof desc === 'string') decl.description = desc;
    for (const v of b.blocks) {
      const c = v.attrs.get('condition');
      const m = v.attrs.get('error_message');
      if (c && m) decl.validations.push({ condition: c.expr, errorMessage: m.expr, range: c.expr.range });
    }
    out.set(name, decl);
  }
  return out;
}

/** Resolve every variable's value; a missing required one is an error naming it. */
export function resolveVariables(
  decls: Map<string, VariableDecl>,
  args: VarArg[],
  env: NodeJS.ProcessEnv,
  dir: string,
  diags: Diagnostics,
): Record<string, Value> {
  const given = new Map<string, Given>();
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('KOLLA_VAR_') || v === undefined) continue;
    const name = k.slice('KOLLA_VAR_'.length);
    if (decls.has(name)) given.set(name, { value: v, raw: true, source: `environment variable ${k}` });
  }
  const fromFile = (file: string, shown: string): void => {
    const src = readSource(file, shown, diags);
    if (!src) return;
    const parsed = parseFile(shown, src.text);
    diags.push(...parsed.diagnostics);
    if (!parsed.file) return;
    for (const blk of parsed.file.body.blocks) {
      diags.error(
        `Unexpected ${blk.type} block in variable file ${shown}`,
        blk.typeRange,
        'A variable file holds only name = value lines.',
      );
    }
    for (const a of parsed.file.body.attributes) {
      if (!decls.has(a.name)) {
        diags.warning(
          `Value for undeclared variable "${a.name}"${didYouMean(a.name, decls.keys())}`,
          a.nameRange,
          `The file ${shown} sets "${a.name}", but no variable block declares it.`,
        );
        continue;
      }
      try {
        const value = evaluate(a.expr, { variables: {}, functions: standardFunctions, baseDir: dir });
        given.set(a.name, { value, raw: false, source: shown, range: a.expr.range });
      } catch (e) {
        if (e instanceof DiagnosticError) diags.push(e.diagnostic);
        else throw e;
      }
    }
  };
  for (const f of findAutoVarFiles(dir)) fromFile(f, path.basename(f));
  for (const a of args) {
    if (a.kind === 'file') {
      fromFile(path.resolve(dir, a.path), a.path);
      continue;
    }
    const eq = a.text.indexOf('=');
    if (eq <= 0) {
      diags.error(
        `Invalid -var option "${a.text}"`,
        undefined,
        'The option takes NAME=VALUE, e.g. -var tag=zed.',
      );
      continue;
    }
    const name = a.text.slice(0, eq);
    if (!decls.has(name)) {
      diags.error(
        `Value for undeclared variable "${name}"${didYouMean(name, decls.keys())}`,
        undefined,
        `A -var option sets "${name}", but no variable block declares it.`,
      );
      continue;
    }
    given.set(name, { value: a.text.slice(eq + 1), raw: true, source: `-var ${name}` });
  }

  const values: Record<string, Value> = {};
  for (const d of decls.values()) {
    const g = given.get(d.name);
    if (!g) {
      if (d.hasDefault) values[d.name] = d.default ?? null;
      else
        diags.error(
          `No value for required variable "${d.name}"`,
          d.range,
          `Set it with -var ${d.name}=..., a -var-file, a *.auto.vars.hcl file, or KOLLA_VAR_${d.name}${d.description ? ` (${d.description})` : ''}.`,
        );
      continue;
    }
    let v = g.value;
    if (g.raw && typeof v === 'string' && d.type.kind !== 'string' && d.type.kind !== 'any') {
      try {
        v = evaluate(parseExpression(v, g.source), {
          variables: {},
          functions: standardFunctions,
          baseDir: dir,
        });
      } catch {
        // leave as string: conversion below reports the mismatch
      }
    }
    try {
      v = convert(v, d.type);
    } catch (msg) {
      diags.error(
        `Invalid value for variable "${d.name}"`,
        g.range ?? d.range,
        `From ${g.source}: ${String(msg)} (type ${typeString(d.type)}).`,
      );
      continue;
    }
    if (v === null && !d.nullable) {
      diags.error(
        `Invalid value for variable "${d.name}"`,
        g.range ?? d.range,
        'The variable is not nullable.',
      );
      continue;
    }
    values[d.name] = v;
  }
  for (const d of decls.values()) {
    if (d.name in values) checkValidations(d, values[d.name]!, dir, diags);
  }
  return values;
}

/** A variable's validation rules, which see only their own variable; failures are reported. */
export function checkValidations(d: VariableDecl, value: Value, dir: string, diags: Diagnostics): boolean {
  let ok = true;
  for (const rule of d.validations) {
    const ctx = { variables: { var: { [d.name]: value } }, functions: standardFunctions, baseDir: dir };
    try {
      const pass = evaluate(rule.condition, ctx);
      if (typeof pass !== 'boolean')
        throw errorAt('Invalid validation condition', rule.range, 'The condition must be a bool.');
      if (!pass) {
        const msg = evaluate(rule.errorMessage, ctx);
        diags.error(`Invalid value for variable "${d.name}"`, rule.range, String(msg));
        ok = false;
      }
    } catch (e) {
      if (e instanceof DiagnosticError) diags.push(e.diagnostic);
      else throw e;
      ok = false;
    }
  }
  return ok;
}
