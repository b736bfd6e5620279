/** Bad user input (arguments or CSV content): the CLI prints the message and exits with 2. */
export class InputError extends Error {
  override readonly name = 'InputError';
}
