{:a 1 :b 2}
{:name "review"
 :agents ["claude-code" "codex"]
 :timeout "30m"
 :retries 3
 :notify "ops@example.com"}
{:outer {:inner {:deepest "value"
                 :another "value that is long enough to need breaking"}}}
{:a 1
 :b 2
 :c 3}
{}
