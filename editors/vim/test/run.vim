" Tests for the Vim support: indentation of the shared fixtures and syntax
" groups.  Run from anywhere:
"
"   vim -Nu NONE -i NONE -es -S editors/vim/test/run.vim
"
" Prints one line per check and a closing `vim: N passed, M failed` line to
" stdout; exits non-zero when a check fails.

let s:vimdir = fnamemodify(expand('<sfile>:p'), ':h:h')
let s:fixture = fnamemodify(s:vimdir . '/../test/indent.duet', ':p')
let s:typing = fnamemodify(s:vimdir . '/../test/typing.duet', ':p')
execute 'set runtimepath^=' . fnameescape(s:vimdir)
set nomore
filetype plugin indent on
syntax on

let s:out = []
let s:passed = 0
let s:failed = 0

function! s:Check(name, ok, ...) abort
  if a:ok
    let s:passed += 1
    call add(s:out, 'ok      ' . a:name)
  else
    let s:failed += 1
    call add(s:out, 'FAILED  ' . a:name . (a:0 ? ': ' . a:1 : ''))
  endif
endfunction

function! s:FirstDiff(expected, actual) abort
  let i = 0
  while i < max([len(a:expected), len(a:actual)])
    let e = get(a:expected, i, '<none>')
    let a = get(a:actual, i, '<none>')
    if e !=# a
      return printf('line %d: expected %s, got %s', i + 1, string(e), string(a))
    endif
    let i += 1
  endwhile
  return ''
endfunction

" Reindents the fixture after giving every code line SHIFT columns.
function! s:IndentCheck(shift) abort
  execute 'silent edit! ' . fnameescape(s:fixture)
  let expected = getline(1, '$')
  " Lines that start inside a string or block comment keep their text.
  let keep = []
  for lnum in range(1, line('$'))
    let text = getline(lnum)
    let first = match(text, '\S') + 1
    let group = first > 0 ? synIDattr(synID(lnum, first, 0), 'name') : ''
    call add(keep, (group ==# 'duetString' && text[first - 1] !=# '"')
          \ || (group ==# 'duetBlockComment' && text[first - 1 : first] !=# '#|'))
  endfor
  for lnum in range(1, line('$'))
    if !keep[lnum - 1] && getline(lnum) =~# '\S'
      call setline(lnum, repeat(' ', a:shift) . substitute(getline(lnum), '^\s*', '', ''))
    endif
  endfor
  normal! gg=G
  let actual = getline(1, '$')
  call s:Check('indent fixture (code lines shifted to column ' . a:shift . ')',
        \ actual ==# expected, s:FirstDiff(expected, actual))
  silent edit!
endfunction

execute 'silent edit ' . fnameescape(s:fixture)
call s:Check('*.duet is detected as duet', &filetype ==# 'duet', &filetype)
call s:Check('indentexpr is set', &indentexpr ==# 'GetDuetIndent()', &indentexpr)
call s:Check('commentstring', &commentstring ==# '; %s', &commentstring)
call s:Check('iskeyword has -?!*<>=/+',
      \ &iskeyword =~# '-' && &iskeyword =~# '?' && &iskeyword =~# '!'
      \ && &iskeyword =~# '\*' && &iskeyword =~# '<' && &iskeyword =~# '>'
      \ && &iskeyword =~# '=' && &iskeyword =~# '/' && &iskeyword =~# '+', &iskeyword)
call s:Check('lispwords has the body forms',
      \ &lispwords =~# '\<workflow\>' && &lispwords =~# '\<on-asserted\>', &lispwords)
call s:IndentCheck(0)
call s:IndentCheck(7)

" Types the typing fixture line by line: each line without its indentation,
" on a new line opened with `o` (indented by 'indentexpr' with none of the
" lines after it there yet).
function! s:TypingCheck() abort
  let expected = readfile(s:typing)
  enew!
  setlocal filetype=duet
  call setline(1, substitute(expected[0], '^\s*', '', ''))
  for text in expected[1:]
    call cursor(line('$'), 1)
    execute 'normal! o' . substitute(text, '^\s*', '', '')
  endfor
  let actual = getline(1, '$')
  call s:Check('typing fixture (new lines opened with o)',
        \ actual ==# expected, s:FirstDiff(expected, actual))
  enew!
endfunction
call s:TypingCheck()

" Rules added in g:duet_indent_rules apply; other heads are calls.
enew!
setlocal filetype=duet
let g:duet_indent_rules = {'with-agent': 1, 'defthing': 'defun'}
call setline(1, ['(with-agent a', '(b))', '(defthing x', 'y)', '(with-other a', '(b))'])
normal! gg=G
call s:Check('g:duet_indent_rules',
      \ getline(1, '$') ==# ['(with-agent a', '  (b))', '(defthing x', '  y)',
      \                      '(with-other a', '            (b))'],
      \ string(getline(1, '$')))
unlet g:duet_indent_rules
enew!

" Syntax groups.
enew!
setlocal filetype=duet
call setline(1, [
      \ '(defn greet "Says hi." [name]',
      \ '  (println (str "hi\n\q" name :loud 42 3.5 true nil)))',
      \ '(def max-tries 3)',
      \ '(workflow ping-pong',
      \ '  (state start',
      \ '    (await (record agent-response ?id _))',
      \ '    (shell `(x ,y ,@z) ''q)))',
      \ '; line comment',
      \ '#| block #| nested |# still |# after',
      \ '(list #;(skipped 1) kept #;atom also)',
      \ '(map count [when])',
      \ ])

function! s:SynAt(lnum, needle) abort
  let col = stridx(getline(a:lnum), a:needle) + 1
  return col > 0 ? synIDattr(synID(a:lnum, col, 0), 'name') : '<not found>'
endfunction

for [s:lnum, s:needle, s:group] in [
      \ [1, 'defn', 'duetDefine'],
      \ [1, 'greet', 'duetFunctionName'],
      \ [1, '"Says', 'duetString'],
      \ [2, 'println', 'duetBuiltin'],
      \ [2, 'str', 'duetBuiltin'],
      \ [2, '\n', 'duetEscape'],
      \ [2, '\q', 'duetBadEscape'],
      \ [2, ':loud', 'duetKeyword'],
      \ [2, '42', 'duetNumber'],
      \ [2, '3.5', 'duetFloat'],
      \ [2, 'true', 'duetBoolean'],
      \ [2, 'nil', 'duetNil'],
      \ [3, 'def', 'duetDefine'],
      \ [3, 'max-tries', 'duetVariableName'],
      \ [4, 'workflow', 'duetWorkflowDefine'],
      \ [4, 'ping-pong', 'duetTypeName'],
      \ [5, 'state', 'duetWorkflowDefine'],
      \ [5, 'start', 'duetTypeName'],
      \ [6, 'await', 'duetWorkflowForm'],
      \ [6, 'record', 'duetWorkflowForm'],
      \ [6, '?id', 'duetPatternVar'],
      \ [6, '_', 'duetWildcard'],
      \ [7, 'shell', 'duetEffect'],
      \ [7, '`', 'duetQuote'],
      \ [7, ',y', 'duetQuote'],
      \ [7, ',@', 'duetQuote'],
      \ [7, "'q", 'duetQuote'],
      \ [8, 'line', 'duetComment'],
      \ [9, 'nested', 'duetBlockComment'],
      \ [9, 'still', 'duetBlockComment'],
      \ [9, 'after', 'duetSymbol'],
      \ [10, '#;', 'duetDatumComment'],
      \ [10, 'skipped', 'duetDatumComment'],
      \ [10, 'kept', 'duetSymbol'],
      \ [10, 'atom', 'duetDatumComment'],
      \ [10, 'also', 'duetSymbol'],
      \ [11, 'count', 'duetSymbol'],
      \ [11, 'when', 'duetSymbol'],
      \ ]
  let s:actual = s:SynAt(s:lnum, s:needle)
  call s:Check(printf('syntax: %s on line %d is %s', s:needle, s:lnum, s:group),
        \ s:actual ==# s:group, s:actual)
endfor

call add(s:out, printf('vim: %d passed, %d failed', s:passed, s:failed))
enew!
call setline(1, s:out)
%print
if s:failed > 0
  cquit!
endif
qall!
