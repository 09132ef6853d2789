/**
 * "Did you mean ...?" in the expression evaluator's sentence style (HCL's: a full sentence
 * after the message); the choice of candidate is diags/suggest's, shared by all messages.
 */
import { nameSuggestion } from '../../diags/suggest.js';

/** ` Did you mean "x"?` or ''. */
export function didYouMean(given: string, candidates: Iterable<string>): string {
  const s = nameSuggestion(given, candidates);
  return s === undefined ? '' : ` Did you mean "${s}"?`;
}
