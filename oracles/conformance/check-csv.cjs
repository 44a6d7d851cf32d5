// Reads CSV downloads with csv-parse (the npm package, pinned in scripts/conformance) set up as
// a strict RFC 4180 reader, and checks each against the header row its documentation declares
// (issue #25 item 4).
//
// Strict means: records end in CRLF (RFC 4180 section 2, rules 1 and 2); a field holding a
// comma, a double quote, CR or LF is enclosed in double quotes, and a double quote inside one is
// doubled (rules 5 to 7); every record has as many fields as the header (rule 4); no blank
// lines. The text is UTF-8 (the `charset` parameter RFC 4180 section 3 allows); a UTF-8
// byte-order mark before the header is accepted as the encoding's signature.
//
// Usage: node check-csv.cjs CSV_PARSE_DIR FILE EXPECT [FILE EXPECT ...]
//   CSV_PARSE_DIR is where `npm install --prefix` put csv-parse.
//   EXPECT is a JSON object: {"header": [...]} (the whole header row, in order) or
//   {"starts": [...], "ends": [...]} (its first and last columns), and "min_records" (data
//   records at least), "bom" (true: the file must start with one).
// Prints one line; exits 1 if any file fails, with csv-parse's message.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const [dir, ...rest] = process.argv.slice(2);
const load = createRequire(path.join(path.resolve(dir), 'package.json'));
const { parse } = load('csv-parse/sync');

function check(file, expect) {
  const bytes = fs.readFileSync(file);
  const bom = bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]));
  if (expect.bom && !bom) throw new Error('no UTF-8 byte-order mark, which its documentation promises');
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bom ? bytes.subarray(3) : bytes);
  const records = parse(text, {
    record_delimiter: '\r\n',
    relax_quotes: false,
    relax_column_count: false,
    skip_empty_lines: false,
    trim: false,
    // csv-parse splits records on CRLF only; a lone CR or LF outside quotes is then field
    // text, which RFC 4180 allows only inside a quoted field.
    cast: (value, ctx) => {
      if (!ctx.quoting && /[\r\n]/.test(value)) {
        throw new Error(`a line break outside quotes in field ${ctx.index + 1} of record ${ctx.records + 1} (records end in CRLF; a field holding CR or LF is quoted)`);
      }
      return value;
    },
  });
  if (records.length === 0) throw new Error('no header row');
  const header = records[0];
  const dup = header.find((h, i) => header.indexOf(h) !== i);
  if (dup !== undefined) throw new Error(`column \`${dup}\` appears twice in the header`);
  if (header.some((h) => h === '')) throw new Error('an empty column name in the header');
  const same = (got, want) => got.length === want.length && got.every((h, i) => h === want[i]);
  if (expect.header && !same(header, expect.header)) {
    throw new Error(`header is ${JSON.stringify(header)}, documented ${JSON.stringify(expect.header)}`);
  }
  if (expect.starts && !same(header.slice(0, expect.starts.length), expect.starts)) {
    throw new Error(`header starts ${JSON.stringify(header.slice(0, expect.starts.length))}, documented ${JSON.stringify(expect.starts)}`);
  }
  if (expect.ends && !same(header.slice(header.length - expect.ends.length), expect.ends)) {
    throw new Error(`header ends ${JSON.stringify(header.slice(header.length - expect.ends.length))}, documented ${JSON.stringify(expect.ends)}`);
  }
  const rows = records.length - 1;
  if (rows < (expect.min_records || 0)) throw new Error(`${rows} records, expected at least ${expect.min_records}`);
  return `${rows} records of ${header.length} columns`;
}

const parserVersion = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', 'csv-parse', 'package.json'), 'utf8')).version;
const done = [];
const failed = [];
for (let i = 0; i < rest.length; i += 2) {
  const file = rest[i];
  try {
    done.push(`${path.basename(file)} (${check(file, JSON.parse(rest[i + 1]))})`);
  } catch (e) {
    failed.push(`  ${file}: ${e.code ? `${e.code}: ` : ''}${e.message}`);
  }
}
if (failed.length) {
  console.log(`csv: INVALID under a strict RFC 4180 reader (csv-parse ${parserVersion}):\n${failed.join('\n')}`);
  process.exit(1);
}
console.log(`csv: valid under a strict RFC 4180 reader (csv-parse ${parserVersion}), documented headers: ${done.join(', ')}`);
