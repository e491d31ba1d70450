export { checkErrorRegistry, type Asserter, type RegistryError } from './errors.js';
export { isRoot, needsRoot } from './env.js';
