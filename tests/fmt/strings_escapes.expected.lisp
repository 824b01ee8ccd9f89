(def escapes
  "newline \n tab \t cr \r backslash \\ quote \" unicode \u{1F600} \u{e9}")
(str "(" ")" "[" "]" "{" "}" ";" "#|" "|#")
