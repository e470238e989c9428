// asl-validator 4.0.0 ships no type declarations; this is the part the tests use
// (dist/src/validator.js: `module.exports = function validator(definition, opts)`).
declare module 'asl-validator' {
  export interface ValidationError {
    'Error code': string;
    Message: string;
    [key: string]: unknown;
  }
  export interface ValidationResult {
    isValid: boolean;
    errors: ValidationError[];
    errorsText(separator?: string): string;
  }
  export interface ValidatorOptions {
    checkPaths?: boolean;
    checkArn?: boolean;
  }
  /** Validates an Amazon States Language definition. Note: sets `QueryLanguage` on each state of the object it is given. */
  export default function validator(definition: unknown, options?: ValidatorOptions): ValidationResult;
}
