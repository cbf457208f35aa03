// The verdict as JUnit XML, the test report every CI system reads: one test case per judged rule.
import { escapeXml } from './svg-chart.ts';
import { resultName, type ThresholdResult } from './thresholds.ts';

function testCase(result: ThresholdResult, suiteName: string): string {
  const open = `    <testcase name="${escapeXml(resultName(result))}" classname="${escapeXml(suiteName)}" time="0"`;
  if (result.passed) return `${open}/>`;
  const reason = escapeXml(result.reason ?? '');
  return `${open}>\n      <failure message="${reason}" type="threshold">${reason}</failure>\n    </testcase>`;
}

/** `timestamp` is written as given (ISO 8601); `durationSec` is the run's, as the suite's time. */
export function junitReport(results: ThresholdResult[], suiteName: string, timestamp: string, durationSec: number): string {
  const tests = results.length;
  const failures = results.filter((result) => !result.passed).length;
  const time = durationSec.toFixed(3);
  const name = escapeXml(suiteName);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${name}" tests="${tests}" failures="${failures}" errors="0" time="${time}">`,
    `  <testsuite name="${name}" tests="${tests}" failures="${failures}" errors="0" skipped="0" timestamp="${escapeXml(timestamp)}" time="${time}">`,
    ...results.map((result) => testCase(result, suiteName)),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
