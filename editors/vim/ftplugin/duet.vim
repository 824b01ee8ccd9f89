" Duet workflow language: filetype settings.

if exists('b:did_ftplugin')
  finish
endif
let b:did_ftplugin = 1

let s:cpo_save = &cpo
set cpo&vim

" Symbols may contain - ? ! * < > = / + (e.g. `starts-with?`, `send!`,
" `->json`); `:` and `.` stay separators so that `w` stops at keywords.
setlocal iskeyword=@,48-57,_,192-255,-,?,!,*,<,>,=,/,+
setlocal comments=:;;;;,:;;;,:;;,:;
setlocal commentstring=;\ %s
setlocal formatoptions-=t formatoptions+=croql
setlocal expandtab shiftwidth=2 softtabstop=2

" With 'lisp' on and no indent plugin, Vim's own Lisp indentation gives the
" forms below a body indent of 2.  indent/duet.vim replaces it with the
" exact `duet fmt' rules.
setlocal lisp
setlocal lispwords=defn,defmacro,fn,workflow,state,
      \let,loop,when,unless,if,match,case,catch,on-asserted,on-retracted,
      \on-message,def,
      \do,try,finally,cond,enter,action,spawn,parallel,race,roles,capabilities

" Matching brackets for %.
setlocal matchpairs=(:),[:],{:}

let b:undo_ftplugin = 'setlocal iskeyword< comments< commentstring< formatoptions<'
      \ . ' expandtab< shiftwidth< softtabstop< lisp< lispwords< matchpairs<'

let &cpo = s:cpo_save
unlet s:cpo_save
