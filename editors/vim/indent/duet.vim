" Vim indent file
" Language: Duet
"
" Implements the indentation rules of `duet fmt` (cljfmt style; see the
" module documentation of lang/src/format in the Duet sources):
"   'defun' (inner 0): defn defmacro fn workflow state -- indented 2.
"   N (block N): indented 2, unless the head's line holds more than the N
"     special arguments: then indented like a call.
"   Any other call: arguments align under the first argument when it is on
"     the head's line, else 1 column in from the paren.
"   Vectors, maps and quoted data ('x and the arguments of quote, at any
"     depth): elements align under the first element.
"   In cond (after the head), case and match (after the value), maps and
"     the binding vectors of let and loop, forms come in pairs: the second
"     of a pair that starts its own line is indented 2 more.
"   Comments (; #| |# and #; datum comments) are not arguments.
" Each line is indented by reading forward from the start of the top-level
" form around it (see s:TopLevelStart), tracking strings and comments.
" Extra rules: let g:duet_indent_rules = {'my-macro': 'defun', 'with-x': 1}
" (or b:duet_indent_rules); `duet fmt` does not know them.

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
      \ 'on-asserted', 'on-retracted', 'on-message', 'def']
  let s:rules[s:word] = 1
endfor
for s:word in ['do', 'try', 'finally', 'cond', 'enter', 'action', 'spawn',
      \ 'parallel', 'race', 'isolated', 'roles', 'capabilities']
  let s:rules[s:word] = 0
endfor
unlet s:word
" Forms whose arguments after the special ones come in pairs.
let s:pairs = {'cond': 1, 'case': 1, 'match': 1}
" Forms whose first argument, when a vector, holds name/value pairs.
let s:bindings = {'let': 1, 'loop': 1}

let s:atom = '^[^[:space:]()[\]{}";,''`]\+'

function! s:Rule(name) abort
  let user = get(b:, 'duet_indent_rules', get(g:, 'duet_indent_rules', {}))
  if has_key(user, a:name)
    return user[a:name]
  endif
  return get(s:rules, a:name, '')
endfunction

" Display column (0-based) of byte column COL (1-based) on line LNUM.
function! s:Col(lnum, col) abort
  return strdisplaywidth(strpart(getline(a:lnum), 0, a:col - 1))
endfunction

" A form being read: its opener, the context `duet fmt` lays it out in
" ('data', 'bindings' or ''), its forms so far ([lnum, col, atom text];
" comments are not forms), and how many forms share the opener's line.
function! s:Frame(lnum, col, char, context) abort
  return {'lnum': a:lnum, 'col': a:col, 'char': a:char, 'context': a:context,
        \ 'forms': [], 'head': 0, 'broken': 0, 'newline': 0, 'first': 1,
        \ 'prefix': 0, 'quoted': 0, 'dcomment': 0}
endfunction

" An element starts in frame F: a form (IS_FORM) or a comment.  As `duet
" fmt` counts them, the forms on the opener's line are those before the
" first line break between two elements; a line break right after the
" opener counts only before a comment (`duet fmt` drops it before a form).
function! s:Item(f, is_form, lnum, col) abort
  if a:f.newline && !(a:f.first && a:is_form)
    let a:f.broken = 1
  endif
  let a:f.newline = 0
  let a:f.first = 0
  if a:is_form
    call add(a:f.forms, [a:lnum, a:col, ''])
    if !a:f.broken
      let a:f.head += 1
    endif
  endif
endfunction

" Reads the text from the start of line START (at the top level) up to the
" start of line LNUM.  Returns {'frame': the innermost form still open at
" LNUM (the top level is a frame with char ''), 'instr': LNUM starts inside
" a string, 'incomment': inside a block comment}.
function! s:Walk(start, lnum) abort
  let stack = [s:Frame(0, 0, '', '')]
  let instr = 0
  let block = 0
  let l = a:start
  let c = 0
  while l < a:lnum
    let line = getline(l)
    let n = len(line)
    while c < n
      let f = stack[-1]
      let ch = line[c]
      let two = line[c : c + 1]
      let chain = f.prefix || f.dcomment
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
        if !chain
          call s:Item(f, 0, l, c + 1)
        endif
        break
      elseif two ==# '#|'
        if !chain
          call s:Item(f, 0, l, c + 1)
        endif
        let block = 1
        let c += 2
        continue
      elseif two ==# '#;'
        " A datum comment: the datum after it is not a form.
        if !chain
          call s:Item(f, 0, l, c + 1)
          let f.dcomment = 1
        endif
        let c += 2
        continue
      elseif two ==# ',@' || ch =~# '[''`,]'
        " A prefix: it starts a form, and the datum after it is part of it.
        if !chain
          call s:Item(f, 1, l, c + 1)
          let f.prefix = 1
        endif
        let f.quoted = f.quoted || ch ==# "'"
        let c += two ==# ',@' ? 2 : 1
        continue
      elseif ch =~# '[)\]}]'
        let c += 1
        if len(stack) > 1
          call remove(stack, -1)
        endif
        continue
      endif
      " A datum starts here: a form of its own, or the end of a prefix or
      " datum comment chain.
      let quoted = f.prefix && f.quoted
      let commented = f.dcomment
      if !chain
        call s:Item(f, 1, l, c + 1)
      endif
      let f.prefix = 0
      let f.quoted = 0
      let f.dcomment = 0
      if ch =~# '[([{]'
        let index = len(f.forms) - 1
        let head = empty(f.forms) ? '' : f.forms[0][2]
        let context = ''
        if f.context ==# 'data' || quoted
              \ || (f.char ==# '(' && head ==# 'quote' && index > 0 && !commented)
          let context = 'data'
        elseif ch ==# '[' && f.char ==# '(' && has_key(s:bindings, head)
              \ && index == 1 && !commented
          let context = 'bindings'
        endif
        call add(stack, s:Frame(l, c + 1, ch, context))
        let c += 1
      elseif ch ==# '"'
        let instr = 1
        let c += 1
      else
        let e = matchend(line, s:atom, c)
        if e <= c
          let e = c + 1
        endif
        if !chain
          let f.forms[-1][2] = line[c : e - 1]
        endif
        let c = e
      endif
    endwhile
    " A line break between two elements of the innermost open form.
    let f = stack[-1]
    if !instr && block == 0 && !f.prefix && !f.dcomment
      let f.newline = 1
    endif
    let l += 1
    let c = 0
  endwhile
  return {'frame': stack[-1], 'instr': instr, 'incomment': block > 0}
endfunction

" Whether form K is the second of a pair, in pairs starting at form FROM.
function! s:PairSecond(from, k) abort
  return a:k > a:from && (a:k - a:from) % 2 == 1
endfunction

" The line to read from to indent line LNUM: the closest line before it
" that starts with an open bracket (after prefixes) in column 1 and is not
" inside a string or comment -- the start of a top-level form in formatted
" code, the same guess Emacs makes -- or the first line.
function! s:TopLevelStart(lnum) abort
  let syntax = exists('b:current_syntax')
  call cursor(a:lnum, 1)
  while 1
    let l = search('^[''`,]*[([{]', 'bW')
    if l == 0
      return 1
    elseif !syntax || synIDattr(synID(l, 1, 0), 'name')
          \ !~# '^duet\%(String\|BlockComment\|Comment\|DatumComment\)'
      return l
    endif
  endwhile
endfunction

function! s:Indent(lnum) abort
  let walk = s:Walk(s:TopLevelStart(a:lnum), a:lnum)
  if walk.instr || walk.incomment
    " Inside a string or block comment: keep the indentation.
    return -1
  elseif walk.frame.char ==# ''
    return 0
  endif
  let f = walk.frame
  let forms = f.forms
  let k = len(forms)
  let open_col = s:Col(f.lnum, f.col)
  if k == 0
    return open_col + 1
  endif
  let head = forms[0]

  " Vectors, maps and quoted data: under the first element; in maps and
  " binding vectors the second of a pair 2 more.
  if f.char =~# '[[{]' || f.context ==# 'data'
    let col = head[0] == f.lnum ? s:Col(head[0], head[1]) : open_col + 1
    let pairs = f.char ==# '{' || f.context ==# 'bindings'
    return col + (pairs && s:PairSecond(0, k) ? 2 : 0)
  endif

  " A call: under the first argument when it is on the head's line.
  let call_col = open_col + 1
  if f.head >= 2 && k >= 2
    let call_col = s:Col(forms[1][0], forms[1][1])
  endif
  let rule = head[2] ==# '' ? '' : s:Rule(head[2])
  if type(rule) == type('') && rule ==# 'defun'
    return open_col + 2
  elseif type(rule) == type(0)
    let col = f.head >= rule + 2 ? call_col : open_col + 2
    return col + (has_key(s:pairs, head[2]) && s:PairSecond(rule + 1, k) ? 2 : 0)
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
