/**
 * Go duration parsing lives in config/ (layer 1) so expand/ need not import a provider;
 * this re-export keeps the provider's older importers working.
 */
export { durationMs, parseDuration } from '../../config/duration.js';
