// One line for a command line node:util's parseArgs refused. Its messages can run over three
// lines, and a value that starts with "-" (a negative amount) is called "ambiguous": say instead
// which option wanted a value and what it got.
import { CliError } from './cli-error.ts';

export function argsError(error: unknown, args: readonly string[], command: string): CliError {
  const { code, message } = error as { code?: string; message?: string };
  const hint = `(see: tapcharge ${command} --help)`;
  const option = /Option '(-[^' ]+)(?:, -\w)?(?: <value>)?' argument is ambiguous/.exec(message ?? '')?.[1];
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    const given = args[args.indexOf(option) + 1];
    return new CliError(`${option} expected a value, got ${JSON.stringify(given)} ${hint}`, 2);
  }
  return new CliError(`${(message ?? String(error)).split('\n')[0]!.split('. ')[0]!.replace(/\.$/, '')} ${hint}`, 2);
}
