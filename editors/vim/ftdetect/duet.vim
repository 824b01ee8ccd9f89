" Duet workflow language: filetype detection.
"
" *.duet files are always Duet.  Duet programs usually end in .lisp, which
" other Lisps use too, so .lisp files are claimed only on request:
"
"   let g:duet_claim_lisp = 1      " every *.lisp file is Duet
"
" or per file with a modeline such as `; vim: ft=duet`.

autocmd BufRead,BufNewFile *.duet setfiletype duet
autocmd BufRead,BufNewFile *.lisp
      \ if get(g:, 'duet_claim_lisp', 0) | set filetype=duet | endif
