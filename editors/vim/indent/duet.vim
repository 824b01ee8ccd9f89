" Vim indent file
" Language: Duet
"
" Implements the `duet fmt` (cljfmt style) rules:
"   'defun' (inner 0): defn defmacro fn workflow state -- body indented 2.
"   N (block N): with N special arguments on the first line, the body is
"     indented 2; otherwise the form is indented like a call.
"   Any other call: arguments align under the first argument when it is on
"     the head's line, else 1 column in from the paren.
"   Vectors, maps and quoted lists: elements align under the first element.
" Extra rules: let g:duet_indent_rules = {'my-macro': 'defun', 'with-x': 1}
" (or b:duet_indent_rules).

if exists('b:did_indent')
  finish
endif
let b:did_indent = 1

setlocal indentexpr=GetDuetIndent()
setlocal indentkeys=!^F,o,O
if exists('+lispoptions')
  " Keep 'lisp' (set by the ftplugin) but indent with 'indentexpr'.
  setlocal lispoptions=expr:1
  let b:undo_indent = 'setlocal indentexpr< indentkeys< lispoptions<'
else
  setlocal nolisp
  let b:undo_indent = 'setlocal indentexpr< indentkeys< lisp<'
endif

if exists('*GetDuetIndent')
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

let s:rules = {}
for s:word in ['defn', 'defmacro', 'fn', 'workflow', 'state']
  let s:rules[s:word] = 'defun'
endfor
for s:word in ['let', 'loop', 'when', 'unless', 'if', 'match', 'case', 'catch',
      \ 'on-asserted', 'on-retracted', 'on-message', 'def', 'when-let', 'if-let']
  let s:rules[s:word] = 1
endfor
for s:word in ['do', 'try', 'finally', 'cond', 'enter', 'action', 'spawn',
      \ 'parallel', 'race', 'roles', 'capabilities']
  let s:rules[s:word] = 0
endfor
unlet s:word

" Brackets inside these syntax groups are not code.
let s:skip = 'synIDattr(synID(line("."), col("."), 0), "name") =~# '
      \ . '''^duet\%(Comment\|BlockComment\|String\|Escape\|BadEscape\|Todo\|DatumCommentString\|DatumCommentSemi\)$'''

let s:atom = '^[^[:space:]()[\]{}";,''`]\+'

function! s:Rule(name) abort
  let user = get(b:, 'duet_indent_rules', get(g:, 'duet_indent_rules', {}))
  if has_key(user, a:name)
    return user[a:name]
  elseif has_key(s:rules, a:name)
    return s:rules[a:name]
  elseif a:name =~# '^with-'
    return 1
  endif
  return ''
endfunction

" Display column (0-based) of byte column COL (1-based) on line LNUM.
function! s:Col(lnum, col) abort
  return strdisplaywidth(strpart(getline(a:lnum), 0, a:col - 1))
endfunction

function! s:FirstOnLine(lnum, col) abort
  return strpart(getline(a:lnum), 0, a:col - 1) =~# '^\s*$'
endfunction

" Reads the text from byte index IDX of line START (at bracket depth DEPTH)
" up to the start of line LNUM.  Returns
"   {'elems': [[lnum, col, atom text], ...], 'instr': 0/1, 'incomment': 0/1}
" where, when DEPTH is 1 (START/IDX just after an open bracket), elems are
" the elements of that form that start before line LNUM.
function! s:Scan(start, idx, depth, lnum) abort
  let elems = []
  let depth = a:depth
  let prefix = 0
  let instr = 0
  let block = 0
  let l = a:start
  let c = a:idx
  while l < a:lnum
    let line = getline(l)
    let n = len(line)
    while c < n
      let ch = line[c]
      let two = line[c : c + 1]
      if instr
        if ch ==# '\'
          let c += 2
        else
          let instr = ch !=# '"'
          let c += 1
        endif
        continue
      elseif block > 0
        if two ==# '|#'
          let block -= 1
          let c += 2
        elseif two ==# '#|'
          let block += 1
          let c += 2
        else
          let c += 1
        endif
        continue
      elseif ch =~# '\s'
        let c += 1
        continue
      elseif ch ==# ';'
        break
      elseif two ==# '#|'
        let block = 1
        let c += 2
        continue
      elseif two ==# '#;' || two ==# ',@' || ch =~# '[''`,]'
        " A prefix: it starts an element, and the datum after it is part of it.
        if depth == 1 && !prefix
          call add(elems, [l, c + 1, ''])
        endif
        if depth == 1
          let prefix = 1
        endif
        let c += (two ==# '#;' || two ==# ',@') ? 2 : 1
        continue
      elseif ch =~# '[)\]}]'
        let depth -= 1
        let c += 1
        if depth == 0 && a:depth == 1
          " The form closed before LNUM: nothing sensible to report.
          return {'elems': elems, 'instr': 0, 'incomment': 0}
        endif
        let depth = max([depth, 0])
        continue
      endif
      " A datum starts here.
      let new = depth == 1 && !prefix
      if depth == 1
        let prefix = 0
      endif
      if new
        call add(elems, [l, c + 1, ''])
      endif
      if ch =~# '[([{]'
        let depth += 1
        let c += 1
      elseif ch ==# '"'
        let instr = 1
        let c += 1
      else
        let e = matchend(line, s:atom, c)
        if e <= c
          let e = c + 1
        endif
        if new
          let elems[-1][2] = line[c : e - 1]
        endif
        let c = e
      endif
    endwhile
    let l += 1
    let c = 0
  endwhile
  return {'elems': elems, 'instr': instr, 'incomment': block > 0}
endfunction

function! s:Indent(lnum) abort
  call cursor(a:lnum, 1)
  let skip = exists('b:current_syntax') ? s:skip : '0'
  let [olnum, ocol] = searchpairpos('[([{]', '', '[)\]}]', 'bnW', skip)
  if olnum == 0
    " Top level: column 0, unless the line continues a string or a block
    " comment.  Read from the previous top-level form to find out.
    let start = a:lnum - 1
    while start > 1 && !(getline(start) =~# '^(' && !(skip !=# '0'
          \ && synIDattr(synID(start, 1, 0), 'name') =~# '^duet\%(String\|BlockComment\)$'))
      let start -= 1
    endwhile
    let scan = s:Scan(max([start, 1]), 0, 0, a:lnum)
    return scan.instr || scan.incomment ? -1 : 0
  endif
  let scan = s:Scan(olnum, ocol, 1, a:lnum)
  if scan.instr || scan.incomment
    return -1
  endif
  let elems = scan.elems
  let index = len(elems)
  let open_col = s:Col(olnum, ocol)
  let open_char = getline(olnum)[ocol - 1]
  let quoted = ocol > 1 && getline(olnum)[ocol - 2] ==# "'"

  " Vectors, maps and quoted lists: under the first element.
  if open_char =~# '[[{]' || quoted
    if index > 0 && elems[0][0] == olnum
      return s:Col(elems[0][0], elems[0][1])
    endif
    return open_col + 1
  endif

  if index == 0
    return open_col + 1
  endif
  let head = elems[0]
  let call_col = open_col + 1
  if index > 1 && elems[1][0] == head[0]
    let call_col = s:Col(elems[1][0], elems[1][1])
  endif

  let rule = head[2] ==# '' ? '' : s:Rule(head[2])
  if type(rule) == type('') && rule ==# 'defun'
    return open_col + 2
  elseif type(rule) == type(0)
    if index > rule && (index == rule + 1
          \ || len(elems) <= rule + 1
          \ || s:FirstOnLine(elems[rule + 1][0], elems[rule + 1][1]))
      return open_col + 2
    endif
  endif
  return call_col
endfunction

function! GetDuetIndent() abort
  let view = winsaveview()
  try
    return s:Indent(v:lnum)
  finally
    call winrestview(view)
  endtry
endfunction

let &cpo = s:cpo_save
unlet s:cpo_save
