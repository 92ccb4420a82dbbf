/** Parses the `$CAPSTAN_OUTPUT` file, in the format GitHub Actions uses for `$GITHUB_OUTPUT`. */

const OUTPUT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Thrown when the output file has a line that is neither `key=value` nor a `key<<DELIMITER` block. */
export class OutputFileError extends Error {}

/**
 * Reads `key=value` lines and multi-line `key<<EOF` ... `EOF` blocks; later keys overwrite earlier
 * ones, blank lines are ignored.
 */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc as unknown as [string, string, string];
      const end = lines.indexOf(delimiter, i + 1);
      if (end === -1) throw new OutputFileError(`line ${i + 1}: no closing "${delimiter}" for output "${name}"`);
      outputs[checkedName(name, i)] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new OutputFileError(`line ${i + 1}: expected "name=value" or "name<<DELIMITER"`);
    outputs[checkedName(line.slice(0, eq), i)] = line.slice(eq + 1);
  }
  return outputs;
}

function checkedName(name: string, index: number): string {
  if (!OUTPUT_NAME.test(name)) throw new OutputFileError(`line ${index + 1}: "${name}" is not a valid output name`);
  // Assigning "__proto__" on a plain object would replace its prototype instead of adding an output.
  if (name === '__proto__')
    throw new OutputFileError(`line ${index + 1}: "__proto__" is reserved and cannot be an output name`);
  return name;
}
