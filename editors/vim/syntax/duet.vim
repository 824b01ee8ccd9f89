" Vim syntax file
" Language: Duet (a Lisp workflow language for orchestrating LLM agents)
" Filenames: *.duet (and *.lisp, see ftdetect/duet.vim)

if exists('b:current_syntax')
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

syntax case match

" A symbol character is anything but whitespace, brackets, quotes, `;` and `,`.
let s:sym = '[^[:space:]()[\]{}";,''`]'
" Not preceded by a symbol character (start of a token).
let s:start = '\%([^[:space:]()[\]{}";,''`@]\)\@1<!'
" Followed by a delimiter or the end of the line (end of a token).
let s:end = '\%([[:space:]()[\]{}";,]\|$\)\@='
" Right after an open paren (head position).
let s:head = '\%((\)\@1<='

function! s:words(words) abort
  return '\%(' . join(map(copy(a:words), 'escape(v:val, ''\*/.~[]^$'')'), '\|') . '\)'
endfunction

" BEGIN GENERATED VOCABULARY: `DUET_BLESS=1 cargo test --test editor_vocabulary`
let s:special_forms = ['and', 'case', 'catch', 'cond', 'def', 'defmacro',
      \ 'defn', 'do', 'error', 'finally', 'fn', 'gensym', 'if', 'import',
      \ 'let', 'loop', 'match', 'or', 'quasiquote', 'quote', 'recur', 'set!',
      \ 'throw', 'try', 'unless', 'unquote', 'unquote-splicing', 'when']
let s:workflow_forms = ['action', 'assert', 'await', 'capabilities', 'enter',
      \ 'goto', 'isolated', 'on-asserted', 'on-message', 'on-retracted',
      \ 'parallel', 'race', 'record', 'retract', 'roles', 'send!', 'spawn',
      \ 'state', 'stop', 'terminal', 'workflow']
let s:effects = ['adopt', 'ask-user', 'attempt-diff', 'list-files', 'now',
      \ 'poll', 'prompt', 'random-int', 'read-file', 'shell', 'sleep',
      \ 'sleep-until', 'uuid', 'write-file']
let s:builtins = ['*', '+', '-', '/', '<', '<=', '=', '==', '>', '>=', 'abs',
      \ 'apply', 'assoc', 'attempt-files', 'attempt-value', 'boolean?',
      \ 'concat', 'conj', 'cons', 'contains?', 'conversation', 'count', 'dec',
      \ 'dissoc', 'empty?', 'ends-with?', 'even?', 'field', 'fields',
      \ 'filter', 'first', 'float?', 'fn?', 'forget', 'format', 'get',
      \ 'hash-map', 'inc', 'includes?', 'int?', 'join', 'json-decode',
      \ 'json-encode', 'keys', 'keyword?', 'label', 'list', 'list?', 'log',
      \ 'lower', 'map', 'map?', 'max', 'min', 'mod', 'neg?', 'nil?', 'not',
      \ 'nth', 'number?', 'odd?', 'pos?', 'print', 'println', 'quot', 'range',
      \ 'record?', 'reduce', 'replace', 'rest', 'reverse', 'sort', 'sort-by',
      \ 'split', 'starts-with?', 'str', 'string?', 'subs', 'symbol?', 'trim',
      \ 'type-of', 'upper', 'vals', 'vector', 'vector?', 'zero?']
" END GENERATED VOCABULARY

" Symbols (so that the tail of a symbol is never read as something else).
execute 'syntax match duetSymbol /' . s:start . s:sym . '\+/'

" Literals.
execute 'syntax match duetNumber /' . s:start . '-\?\d\+' . s:end . '/'
execute 'syntax match duetFloat /' . s:start
      \ . '-\?\d\+\%(\.\d\+\%([eE][-+]\?\d\+\)\?\|[eE][-+]\?\d\+\)' . s:end . '/'
execute 'syntax match duetBoolean /' . s:start . '\%(true\|false\)' . s:end . '/'
execute 'syntax match duetNil /' . s:start . 'nil' . s:end . '/'
execute 'syntax match duetKeyword /' . s:start . ':' . s:sym . '\+/'
execute 'syntax match duetPatternVar /' . s:start . '?' . s:sym . '\+/'
execute 'syntax match duetWildcard /' . s:start . '_' . s:end . '/'
syntax match duetQuote /,@\|[',`]/

" Forms in head position.
execute 'syntax match duetSpecialForm /' . s:head . s:words(s:special_forms) . s:end . '/'
execute 'syntax match duetWorkflowForm /' . s:head . s:words(s:workflow_forms) . s:end . '/'
execute 'syntax match duetEffect /' . s:head . s:words(s:effects) . s:end . '/'
execute 'syntax match duetBuiltin /' . s:head . s:words(s:builtins) . s:end . '/'

" Definitions: the keyword, then the defined name.
execute 'syntax match duetDefine /' . s:head . '\%(defn\|defmacro\)' . s:end
      \ . '/ nextgroup=duetFunctionName skipwhite'
execute 'syntax match duetDefine /' . s:head . 'def' . s:end
      \ . '/ nextgroup=duetVariableName skipwhite'
execute 'syntax match duetWorkflowDefine /' . s:head . '\%(workflow\|state\)' . s:end
      \ . '/ nextgroup=duetTypeName skipwhite'
execute 'syntax match duetFunctionName /' . s:sym . '\+/ contained'
execute 'syntax match duetVariableName /' . s:sym . '\+/ contained'
execute 'syntax match duetTypeName /' . s:sym . '\+/ contained'

" Strings and escapes (\n \t \r \\ \" \u{1F600}); anything else is an error.
syntax match duetBadEscape /\\./ contained
syntax match duetEscape /\\\%([ntr\\"]\|u{\x\{1,6}}\)/ contained
syntax region duetString start=/"/ skip=/\\\\\|\\"/ end=/"/
      \ contains=duetEscape,duetBadEscape,@Spell

" Comments: `;` to end of line and nestable `#| ... |#`.
syntax keyword duetTodo contained TODO FIXME XXX NOTE
syntax match duetComment /;.*$/ contains=duetTodo,@Spell
syntax region duetBlockComment matchgroup=duetBlockComment start=/#|/ end=/|#/
      \ contains=duetBlockComment,duetTodo,@Spell

" `#;` comments out the next datum: an atom, a string, or a balanced
" list/vector/map (strings and comments inside are skipped).
syntax match duetDatumCommentSemi /;.*$/ contained
syntax region duetDatumCommentString start=/"/ skip=/\\\\\|\\"/ end=/"/ contained
syntax region duetDatumCommentList matchgroup=duetDatumCommentList start=/(/ end=/)/ contained
      \ contains=@duetDatumCommentBody
syntax region duetDatumCommentList matchgroup=duetDatumCommentList start=/\[/ end=/]/ contained
      \ contains=@duetDatumCommentBody
syntax region duetDatumCommentList matchgroup=duetDatumCommentList start=/{/ end=/}/ contained
      \ contains=@duetDatumCommentBody
syntax cluster duetDatumCommentBody
      \ contains=duetDatumCommentList,duetDatumCommentString,duetDatumCommentSemi,duetBlockComment
syntax match duetDatumComment /#;/
execute 'syntax match duetDatumComment /#;\s*\%([''`]\|,@\=\)*' . s:sym . '\+/'
syntax region duetDatumComment matchgroup=duetDatumComment start=/#;\s*\%(['`]\|,@\=\)*"/ skip=/\\\\\|\\"/ end=/"/
syntax region duetDatumComment matchgroup=duetDatumComment start=/#;\s*\%(['`]\|,@\=\)*(/ end=/)/
      \ contains=@duetDatumCommentBody
syntax region duetDatumComment matchgroup=duetDatumComment start=/#;\s*\%(['`]\|,@\=\)*\[/ end=/]/
      \ contains=@duetDatumCommentBody
syntax region duetDatumComment matchgroup=duetDatumComment start=/#;\s*\%(['`]\|,@\=\)*{/ end=/}/
      \ contains=@duetDatumCommentBody

" Block comments and strings can be long: parse from the start.
syntax sync fromstart

highlight default link duetNumber Number
highlight default link duetFloat Float
highlight default link duetBoolean Boolean
highlight default link duetNil Constant
highlight default link duetKeyword Constant
highlight default link duetPatternVar Identifier
highlight default link duetWildcard Identifier
highlight default link duetQuote Special
highlight default link duetSpecialForm Statement
highlight default link duetWorkflowForm Keyword
highlight default link duetEffect Keyword
highlight default link duetBuiltin Function
highlight default link duetDefine Statement
highlight default link duetWorkflowDefine Keyword
highlight default link duetFunctionName Function
highlight default link duetVariableName Identifier
highlight default link duetTypeName Type
highlight default link duetString String
highlight default link duetEscape SpecialChar
highlight default link duetBadEscape Error
highlight default link duetTodo Todo
highlight default link duetComment Comment
highlight default link duetBlockComment Comment
highlight default link duetDatumComment Comment
highlight default link duetDatumCommentList Comment
highlight default link duetDatumCommentString Comment
highlight default link duetDatumCommentSemi Comment

let b:current_syntax = 'duet'

let &cpo = s:cpo_save
unlet s:cpo_save
