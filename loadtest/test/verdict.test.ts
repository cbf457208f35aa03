// The verdict a pipeline gates on: `--threshold` rules read and judged against a run's metrics
// (operators at their edges, unit suffixes, tags, missing metrics, malformed rules), and the
// verdict's outputs: the terminal summary, JUnit XML that parses, CSV that reads back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvTable } from '../src/report/csv-table.ts';
import { junitReport } from '../src/report/junit-report.ts';
import { evaluateThresholds, formatVerdict, parseThreshold, type ThresholdResult } from '../src/report/thresholds.ts';
import type { Metric, MetricUnit } from '../src/result.ts';

const metric = (name: string, value: number, unit: MetricUnit = 'count', tags?: Record<string, string>): Metric => ({
  name,
  value,
  unit,
  description: 'test',
  ...(tags ? { tags } : {}),
});
const judge = (rule: string, metrics: Metric[]): ThresholdResult[] => evaluateThresholds([parseThreshold(rule)], metrics);
const judgeOne = (rule: string, metrics: Metric[]): ThresholdResult => {
  const results = judge(rule, metrics);
  assert.equal(results.length, 1, `${rule}: one result`);
  return results[0]!;
};

test('each operator at, just above and just below its limit', () => {
  // The neighbouring doubles of 1.5: a comparison off by the smallest step shows.
  const values = { at: 1.5, above: 1.5 + Number.EPSILON, below: 1.5 - Number.EPSILON };
  const expected = {
    '<=': { at: true, above: false, below: true },
    '<': { at: false, above: false, below: true },
    '>=': { at: true, above: true, below: false },
    '>': { at: false, above: true, below: false },
    '==': { at: true, above: false, below: false },
    '!=': { at: false, above: true, below: true },
  };
  for (const [op, outcomes] of Object.entries(expected)) {
    for (const [where, value] of Object.entries(values)) {
      const result = judgeOne(`fetches_per_segment${op}1.5`, [metric('fetches_per_segment', value, 'fetches/segment')]);
      assert.equal(result.passed, outcomes[where as keyof typeof values], `${op} ${where} the limit`);
      assert.equal(result.actual, value);
      assert.equal(result.reason === undefined, result.passed, 'a reason on every failure, none on a pass');
    }
  }
});

test('a rule may have spaces around its operator, a negative or a decimal limit, and tags', () => {
  assert.deepEqual(parseThreshold('late_segments == 0'), { rule: 'late_segments == 0', metric: 'late_segments', tags: {}, op: '==', limit: 0, suffix: null });
  assert.equal(parseThreshold('egress_saved>-0.25').limit, -0.25);
  assert.equal(parseThreshold('egress_saved >= -.5').limit, -0.5);
  assert.equal(parseThreshold('stall_ratio<.01').limit, 0.01);
  assert.deepEqual(parseThreshold('fetches_per_segment{ rendition : 240p , kind:p2p }<=1.5').tags, { rendition: '240p', kind: 'p2p' });
});

test('unit suffixes convert the limit to the metric unit', () => {
  const cases: Array<[rule: string, unit: MetricUnit, passes: number, fails: number]> = [
    ['startup_p95<=3s', 's', 3, 3.001],
    ['startup_p95<=300ms', 's', 0.3, 0.301],
    ['offload>=90%', 'ratio', 0.9, 0.899],
    ['origin_egress_bytes<=1.5MB', 'bytes', 1_500_000, 1_500_001],
    ['origin_egress_bytes<=2GB', 'bytes', 2e9, 2e9 + 1],
    ['origin_egress_bytes<=0.5kB', 'bytes', 500, 501],
  ];
  for (const [rule, unit, passes, fails] of cases) {
    const name = parseThreshold(rule).metric;
    assert.equal(judgeOne(rule, [metric(name, passes, unit)]).passed, true, `${rule} at ${passes}`);
    assert.equal(judgeOne(rule, [metric(name, fails, unit)]).passed, false, `${rule} at ${fails}`);
  }
  // 1.005 × 1000 is 1004.9999999999999 in floating point: the suffix must scale the decimal text.
  assert.equal(judgeOne('origin_egress_bytes==1.005kB', [metric('origin_egress_bytes', 1005, 'bytes')]).passed, true);
  assert.equal(judgeOne('startup_p95==300ms', [metric('startup_p95', 0.3, 's')]).passed, true);
});

test('a unit suffix that does not fit the metric fails with the reason', () => {
  const late = [metric('late_segments', 0)];
  assert.equal(judgeOne('late_segments<=3', late).passed, true, 'the same limit without the suffix passes');
  const result = judgeOne('late_segments<=3s', late);
  assert.equal(result.passed, false);
  assert.match(result.reason!, /unit s is for s metrics, and late_segments is in count/);
  assert.match(judgeOne('startup_p95<=90%', [metric('startup_p95', 0.1, 's')]).reason!, /unit % is for ratio metrics/);
  assert.match(judgeOne('offload>=1.5MB', [metric('offload', 0.95, 'ratio')]).reason!, /unit MB is for bytes metrics, and offload is in ratio/);
  assert.equal(judgeOne('uploaded_rate<=1.5MB', [metric('uploaded_rate', 1, 'bytes/s')]).passed, false, 'bytes suffixes are not rates');
});

test('tags select the metrics a rule judges', () => {
  const metrics = [metric('offload', 0.95, 'ratio'), metric('offload', 0.4, 'ratio', { kind: 'browser' }), metric('offload', 0.7, 'ratio', { kind: 'native' })];
  const browser = judgeOne('offload{kind:browser}>=0.5', metrics);
  assert.deepEqual([browser.passed, browser.actual, browser.metric?.tags], [false, 0.4, { kind: 'browser' }]);
  assert.deepEqual(judgeOne('offload{kind:native}>=0.5', metrics).actual, 0.7);
  const whole = judgeOne('offload>=0.9', metrics);
  assert.deepEqual([whole.passed, whole.actual, whole.metric?.tags], [true, 0.95, undefined], 'the untagged rule ignores the tagged metrics');

  const fetches = [
    metric('fetches_per_segment', 1.2, 'fetches/segment', { rendition: '240p', kind: 'p2p' }),
    metric('fetches_per_segment', 1.8, 'fetches/segment', { rendition: '480p', kind: 'p2p' }),
    metric('fetches_per_segment', 3, 'fetches/segment', { rendition: '240p', kind: 'http' }),
  ];
  const p2p = judge('fetches_per_segment{kind:p2p}<=1.5', fetches);
  assert.deepEqual(
    p2p.map((result) => [result.metric?.tags?.['rendition'], result.passed]),
    [
      ['240p', true],
      ['480p', false],
    ],
    'each metric the rule selects is judged',
  );
  assert.equal(judgeOne('fetches_per_segment{kind:p2p,rendition:480p}>1.5', fetches).actual, 1.8);

  const untagged = judgeOne('fetches_per_segment<=1.5', fetches);
  assert.equal(untagged.passed, false);
  assert.match(untagged.reason!, /only per part .*fetches_per_segment\{rendition:240p,kind:p2p\}/);
  const none = judgeOne('offload{kind:tv}>=0.5', metrics);
  assert.deepEqual([none.passed, none.actual], [false, null]);
  assert.match(none.reason!, /no offload\{kind:tv\}; it has offload, offload\{kind:browser\}, offload\{kind:native\}/);
});

test('a metric the run does not have fails, naming the ones it has', () => {
  const metrics = [metric('late_segments', 0), metric('offload', 0.9, 'ratio'), metric('offload', 0.9, 'ratio', { kind: 'browser' })];
  const result = judgeOne('stall_ratio<=0.01', metrics);
  assert.deepEqual([result.passed, result.actual, result.metric], [false, null, undefined]);
  assert.equal(result.reason, 'this run has no metric "stall_ratio"; it has late_segments, offload');
  assert.match(judgeOne('stall_ratio<=0.01', []).reason!, /it has none/);
});

test('a metric without a value (NaN) fails, even under !=', () => {
  assert.equal(judgeOne('late_segments!=1', [metric('late_segments', 0)]).passed, true, 'positive control');
  const result = judgeOne('late_segments!=1', [metric('late_segments', Number.NaN)]);
  assert.equal(result.passed, false);
  assert.match(result.reason!, /no value/);
});

test('a malformed rule throws an error naming it', () => {
  assert.throws(() => parseThreshold('offload=>0.9'), {
    message: '--threshold "offload=>0.9": expected <metric>[{tag:value,…}]<op><number>[unit], op one of <=, <, >=, >, ==, !=',
  });
  const malformed: Array<[rule: string, problem: RegExp]> = [
    ['', /expected <metric>/],
    ['offload', /expected <metric>/],
    ['offload<=', /expected <metric>/],
    ['<=0.9', /expected <metric>/],
    ['offload=0.9', /expected <metric>/],
    ['offload<=abc', /expected <metric>/],
    ['offload<=1.2.3', /expected <metric>/],
    ['offload<=0.9 %', /expected <metric>/],
    ['offload{kind:browser<=0.9', /expected <metric>/],
    ['Offload<=0.9', /metric name "Offload" must match/],
    ['9offload<=0.9', /metric name "9offload" must match/],
    ['off-load<=0.9', /metric name "off-load" must match/],
    ['startup_p95<=3sec', /unknown unit "sec"/],
    ['origin_egress_bytes<=1mb', /unknown unit "mb"/],
    ['offload{kind}<=0.9', /expected tags as \{tag:value,tag2:value2\}/],
    ['offload{}<=0.9', /expected tags/],
    ['offload{kind:a:b}<=0.9', /expected tags/],
    ['offload{kind:a,}<=0.9', /expected tags/],
    ['offload{kind:a,kind:b}<=0.9', /tag "kind" given twice/],
  ];
  for (const [rule, problem] of malformed) {
    assert.throws(
      () => parseThreshold(rule),
      (error: Error) => error.message.startsWith(`--threshold "${rule}": `) && problem.test(error.message),
      rule,
    );
  }
});

test('the verdict gives one line per result, measured against the limit, and how many passed', () => {
  const metrics = [
    metric('late_segments', 0),
    metric('startup_p95', 3.4, 's'),
    metric('offload', 0.95, 'ratio'),
    metric('fetches_per_segment', 1.2, 'fetches/segment', { rendition: '240p' }),
    metric('fetches_per_segment', 1.7, 'fetches/segment', { rendition: '480p' }),
  ];
  const rules = ['late_segments==0', 'startup_p95<=3s', 'offload>=90%', 'fetches_per_segment{rendition:240p}<=1.5', 'stall_ratio<=1%'];
  const results = evaluateThresholds(rules.map(parseThreshold), metrics);
  assert.equal(
    formatVerdict(results),
    [
      '✓ late_segments==0: late_segments = 0 (limit == 0)',
      '✗ startup_p95<=3s: startup_p95 = 3.4 s (limit <= 3 s)',
      '✓ offload>=90%: offload = 95 % (limit >= 90 %)',
      '✓ fetches_per_segment{rendition:240p}<=1.5: fetches_per_segment{rendition:240p} = 1.2 fetches/segment (limit <= 1.5 fetches/segment)',
      '✗ stall_ratio<=1%: this run has no metric "stall_ratio"; it has late_segments, startup_p95, offload, fetches_per_segment',
      '3 of 5 thresholds passed',
    ].join('\n'),
  );
  assert.equal(
    formatVerdict(judge('fetches_per_segment<=1.5', metrics)),
    '✗ fetches_per_segment<=1.5: this run has fetches_per_segment only per part (fetches_per_segment{rendition:240p}, fetches_per_segment{rendition:480p}): name its tags\n0 of 1 thresholds passed',
  );
});

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const XML_REFERENCES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const ESCAPED = /^(?:[^&<]|&(?:amp|lt|gt|quot|apos);)*$/;
const unescapeXml = (text: string): string => text.replace(/&(\w+);/g, (_, name: string) => XML_REFERENCES[name]!);

/** Enough of an XML parser to tell whether the report is well-formed: it throws where it is not. */
function parseXml(xml: string): XmlElement {
  const token = /<\?xml[^?]*\?>|<\/([\w.-]+)>|<([\w.-]+)((?:\s+[\w.-]+="[^"]*")*)\s*(\/?)>|([^<]+)/y;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (token.lastIndex < xml.length) {
    const at = token.lastIndex;
    const match = token.exec(xml);
    if (!match) throw new Error(`not well-formed at ${at}: ${xml.slice(at, at + 30)}`);
    const [, close, open, attributeText = '', selfClosing, text] = match;
    const parent = stack.at(-1);
    if (text !== undefined) {
      if (!ESCAPED.test(text)) throw new Error(`unescaped text: ${text}`);
      if (parent) parent.text += unescapeXml(text);
      else if (text.trim() !== '') throw new Error('text outside the root');
    } else if (close !== undefined) {
      if (stack.pop()?.name !== close) throw new Error(`</${close}> closes another element`);
    } else if (open !== undefined) {
      const element: XmlElement = { name: open, attributes: {}, children: [], text: '' };
      for (const [, name, value] of attributeText.matchAll(/([\w.-]+)="([^"]*)"/g)) {
        if (name! in element.attributes) throw new Error(`attribute ${name} twice`);
        if (!ESCAPED.test(value!)) throw new Error(`unescaped attribute ${name}="${value}"`);
        element.attributes[name!] = unescapeXml(value!);
      }
      if (parent) parent.children.push(element);
      else if (root) throw new Error('a second root');
      else root = element;
      if (!selfClosing) stack.push(element);
    }
  }
  if (!root || stack.length > 0) throw new Error('unclosed elements');
  return root;
}

test('the well-formedness check rejects malformed XML', () => {
  assert.equal(parseXml('<a b="1 &amp; 2"><c/>x &lt; y</a>').text, 'x < y');
  for (const xml of ['<a b="x & y"/>', '<a>1 < 2</a>', '<a>1 & 2</a>', '<a><b></a></b>', '<a b="1" b="2"/>', '<a/><b/>', '<a>', '<a b="x"y"/>']) {
    assert.throws(() => parseXml(xml), Error, xml);
  }
});

test('the JUnit report has one test case per result, a failure for each failed one, everything escaped', () => {
  const odd = `a&"b'<c>`;
  const metrics = [metric('late_segments', 2), metric('offload', 0.95, 'ratio', { kind: odd }), metric('startup_p95', 1.2, 's')];
  const rules = ['late_segments==0', `offload{kind:${odd}}>=0.9`, 'startup_p95<=3s', 'stall_ratio<=1%'];
  const results = evaluateThresholds(rules.map(parseThreshold), metrics);
  const suite = 'swarmcast-loadtest <event> & "friends"\u0001';
  const xml = junitReport(results, suite, '2024-05-01T12:00:00Z', 61.5);
  assert.ok(!xml.includes(odd) && !xml.includes('"friends"'), 'escaped');

  const root = parseXml(xml);
  assert.equal(root.name, 'testsuites');
  assert.deepEqual([root.attributes['tests'], root.attributes['failures']], ['4', '2']);
  assert.equal(root.children.length, 1);
  const [testsuite] = root.children;
  assert.deepEqual(
    [testsuite!.name, testsuite!.attributes['name'], testsuite!.attributes['tests'], testsuite!.attributes['failures']],
    ['testsuite', 'swarmcast-loadtest <event> & "friends"\uFFFD', '4', '2'],
  );
  assert.deepEqual([testsuite!.attributes['timestamp'], testsuite!.attributes['time']], ['2024-05-01T12:00:00Z', '61.500']);
  const cases = testsuite!.children;
  assert.deepEqual(
    cases.map((testcase) => [testcase.name, testcase.attributes['name'], testcase.children.map((child) => child.name)]),
    [
      ['testcase', 'late_segments==0', ['failure']],
      ['testcase', `offload{kind:${odd}}>=0.9`, []],
      ['testcase', 'startup_p95<=3s', []],
      ['testcase', 'stall_ratio<=1%', ['failure']],
    ],
  );
  const failure = cases[0]!.children[0]!;
  assert.equal(failure.attributes['message'], 'late_segments = 2 (limit == 0)');
  assert.equal(failure.text, 'late_segments = 2 (limit == 0)');
  assert.match(cases[3]!.children[0]!.attributes['message']!, /no metric "stall_ratio"/);
});

/** RFC 4180, strictly: a quote only opens a field or closes one before a comma or the end of a record. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let closed = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted && char === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (quoted && char === '"') {
      quoted = false;
      closed = true;
    } else if (quoted) {
      field += char;
    } else if (char === ',' || char === '\n') {
      record.push(field);
      field = '';
      closed = false;
      if (char === '\n') {
        records.push(record);
        record = [];
      }
    } else if (closed || (char === '"' && field !== '') || char === '\r') {
      throw new Error(`malformed CSV at ${i}`);
    } else if (char === '"') {
      quoted = true;
    } else {
      field += char;
    }
  }
  if (quoted || field !== '' || record.length > 0) throw new Error('the last record does not end with LF');
  return records;
}

test('CSV: a header, then one record per row, tricky cells quoted so that they read back', () => {
  assert.equal(csvTable([{ viewer: 1, role: 'seeder' }]), 'viewer,role\n1,seeder\n');
  const rows = [
    { viewer: 'v1', note: 'a,b', quote: 'say "hi"', lines: 'one\ntwo', nested: { up: 1.5, tags: ['x', 'y,z'] }, startup: 0.25 },
    { viewer: 'v2', startup: null, note: undefined, crlf: 'a\r\nb', cr: 'a\rb', playing: true, latency: Number.NaN },
  ];
  const text = csvTable(rows);
  const [header, first, second, ...rest] = parseCsv(text);
  assert.deepEqual(header, ['viewer', 'note', 'quote', 'lines', 'nested', 'startup', 'crlf', 'cr', 'playing', 'latency'], 'keys in first-seen order');
  assert.deepEqual(first, ['v1', 'a,b', 'say "hi"', 'one\ntwo', '{"up":1.5,"tags":["x","y,z"]}', '0.25', '', '', '', '']);
  assert.deepEqual(second, ['v2', '', '', '', '', '', 'a\r\nb', 'a\rb', 'true', '']);
  assert.deepEqual(rest, []);
  assert.deepEqual(JSON.parse(first![4]!), rows[0]!.nested);

  assert.deepEqual(parseCsv(csvTable(rows, ['startup', 'a,"column"'])), [['startup', 'a,"column"'], ['0.25', ''], ['', '']], 'the given columns only, in their order');
  assert.throws(() => parseCsv('a,"b"c\n'), Error, 'positive control: the reader rejects a stray quote');
});
