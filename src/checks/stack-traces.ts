// Recognises stack traces in response bodies and header values. Bodies are
// often JSON, so a trace's line breaks may arrive as the two characters `\n`,
// and a header holds none at all (a debug header puts a trace on one line):
// no pattern relies on real line starts. Each pattern needs a file-and-line
// or a runtime's fixed wording, so ordinary prose ("look at the docs") and
// ordinary headers (x-amzn-ErrorType, Via, Server, a Link to app.js) do not
// match (test/checks/refusal-echo-everywhere.test.ts).

interface TracePattern {
  readonly runtime: string;
  readonly pattern: RegExp;
}

const TRACE_PATTERNS: readonly TracePattern[] = [
  // at fn (/srv/app/auth.js:42:7) · at /srv/app/router.js:88:14 · at file:///app/x.mjs:1:2 · at node:internal/…:3:4
  {
    runtime: 'Node.js',
    pattern: /\bat\s+(?:[^\s()"]+(?:\s+\[as [^\]]+\])?\s+\()?(?:file:\/\/|node:)?[^\s()"]*\.(?:js|mjs|cjs|ts|mts|cts|jsx|tsx):\d+:\d+\)?/,
  },
  { runtime: 'Node.js', pattern: /\bat\s+[^\s()"]+\s+\(node:[\w/]+:\d+:\d+\)/ },
  // at com.example.Foo.bar(Foo.java:42) · (Native Method) · (Unknown Source); "Caused by: java.lang…"
  { runtime: 'Java', pattern: /\bat\s+[\w$]+(?:\.[\w$<>]+)+\((?:[\w$]+\.(?:java|kt|scala|groovy):\d+|Native Method|Unknown Source)\)/ },
  { runtime: 'Java', pattern: /\bCaused by: [a-z][\w$]*(?:\.[\w$]+)+(?:Exception|Error)\b/ },
  // Traceback (most recent call last): · File "/app/x.py", line 12, in handler
  { runtime: 'Python', pattern: /Traceback \(most recent call last\)/ },
  { runtime: 'Python', pattern: /File \\?"[^"\\]+\.py\\?", line \d+/ },
  // at Ns.Class.Method(String id) in C:\src\Foo.cs:line 42 · --- End of stack trace from previous location ---
  { runtime: '.NET', pattern: /\bat\s+[\w.`<>+]+\([^)]*\)\s+in\s+[^\s"]+\.(?:cs|vb|fs):line\s+\d+/ },
  { runtime: '.NET', pattern: /--- End of (?:inner exception )?stack trace/ },
  // goroutine 1 [running]: · /go/src/app/main.go:42 +0x1d
  { runtime: 'Go', pattern: /goroutine \d+ \[[\w ,]+\]:/ },
  { runtime: 'Go', pattern: /[^\s"]+\.go:\d+ \+0x[0-9a-f]+/ },
  // /app/models/key.rb:12:in `find' · app/x.rb:3:in 'block in <main>'
  { runtime: 'Ruby', pattern: /[^\s"]+\.rb:\d+:in [`'‘]/ },
  // #0 /var/www/src/Auth.php(42): Foo->bar()
  { runtime: 'PHP', pattern: /#\d+ [^\s"]+\.php\(\d+\): / },
  // One frame, an absolute path and a line: Symfony's debug mode sends the thrown exception's as
  // X-Debug-Exception-File (rawurlencode(file):line, read decoded), and Laravel's error pages quote it.
  { runtime: 'PHP', pattern: /(?:^|[\s"'(=])(?:[A-Za-z]:)?[/\\][^\s"]*\.php:\d+\b/ },
];

/** The runtime whose stack trace the text holds (e.g. "Node.js"), or undefined. */
export function findStackTrace(text: string): string | undefined {
  return TRACE_PATTERNS.find(({ pattern }) => pattern.test(text))?.runtime;
}
