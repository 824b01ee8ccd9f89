;;; duet-mode-test.el --- ERT tests for duet-mode  -*- lexical-binding: t; -*-

;;; Commentary:

;; Run from the repository root with
;;
;;   emacs -Q --batch -L editors/emacs -l editors/emacs/duet-mode-test.el \
;;         -f ert-run-tests-batch-and-exit

;;; Code:

(require 'ert)
(require 'subr-x)
(require 'duet-mode)

(defconst duet-test--dir
  (file-name-directory (or load-file-name buffer-file-name))
  "Directory of this file.")

(defconst duet-test--indent-fixture
  (expand-file-name "../test/indent.duet" duet-test--dir)
  "File whose every line is indented as `duet fmt' would.")

(defun duet-test--fixture-text ()
  "Return the contents of the indentation fixture."
  (with-temp-buffer
    (insert-file-contents duet-test--indent-fixture)
    (buffer-string)))

(defun duet-test--reindent (text shift)
  "Return TEXT re-indented by `duet-mode' after mangling its code lines.
Each line that does not start inside a string or block comment first
loses its indentation, then gets SHIFT extra columns (if SHIFT is not
nil); the whole buffer is then indented with `indent-region'."
  (with-temp-buffer
    (insert text)
    (duet-mode)
    (goto-char (point-min))
    (while (not (eobp))
      (let ((ppss (syntax-ppss (line-beginning-position))))
        (unless (or (nth 3 ppss) (nth 4 ppss))
          (delete-horizontal-space)
          (when (and shift (not (eolp)))
            (indent-to shift))))
      (forward-line 1))
    (indent-region (point-min) (point-max))
    (buffer-string)))

(defun duet-test--diff (expected actual)
  "Return a description of the first line where EXPECTED and ACTUAL differ."
  (let ((e (split-string expected "\n"))
        (a (split-string actual "\n"))
        (n 1))
    (while (and e a (equal (car e) (car a)))
      (setq e (cdr e) a (cdr a) n (1+ n)))
    (format "line %d:\n expected: %S\n actual:   %S" n (car e) (car a))))

(ert-deftest duet-mode-indent-fixture-flattened ()
  "Indenting the fixture with all indentation removed restores it."
  (let* ((expected (duet-test--fixture-text))
         (actual (duet-test--reindent expected nil)))
    (should (equal expected actual))
    (unless (equal expected actual)
      (ert-fail (duet-test--diff expected actual)))))

(ert-deftest duet-mode-indent-fixture-shifted ()
  "Indenting the fixture with every code line pushed right restores it."
  (let* ((expected (duet-test--fixture-text))
         (actual (duet-test--reindent expected 7)))
    (unless (equal expected actual)
      (ert-fail (duet-test--diff expected actual)))))

(ert-deftest duet-mode-indent-line-keeps-point-in-text ()
  "TAB on a line moves the indentation but keeps point on the same text."
  (with-temp-buffer
    (insert "(defn f [x]\n(g x))")
    (duet-mode)
    (goto-char (point-max))
    (search-backward "x))")
    (indent-for-tab-command)
    (should (equal (buffer-string) "(defn f [x]\n  (g x))"))
    (should (looking-at-p "x))"))))

(defconst duet-test--typing-fixture
  (expand-file-name "../test/typing.duet" duet-test--dir)
  "File whose lines the typing test types one by one.")

(ert-deftest duet-mode-newline-and-indent ()
  "RET with `electric-indent-mode' / `newline-and-indent' indents the new line.
Types the typing fixture line by line, each without its indentation and
followed by `newline-and-indent', and compares the buffer with the file:
each line is indented right with none of the lines after it there yet."
  (let ((expected (with-temp-buffer
                    (insert-file-contents duet-test--typing-fixture)
                    (buffer-string))))
    (with-temp-buffer
      (duet-mode)
      (dolist (line (split-string (string-trim-right expected "\n") "\n"))
        (unless (bobp) (newline-and-indent))
        (insert (string-trim-left line)))
      (insert "\n")
      (unless (equal expected (buffer-string))
        (ert-fail (duet-test--diff expected (buffer-string)))))))

(ert-deftest duet-mode-indent-user-rules ()
  "Rules added with the `duet-indent-function' property apply."
  (unwind-protect
      (with-temp-buffer
        (put 'with-agent-test 'duet-indent-function 1)
        (put 'defthing-test 'duet-indent-function 'defun)
        (insert "(with-agent-test a\n(b))\n(defthing-test x\ny)\n(with-other a\n(b))")
        (duet-mode)
        (indent-region (point-min) (point-max))
        (should (equal (buffer-string)
                       (concat "(with-agent-test a\n  (b))\n"
                               "(defthing-test x\n  y)\n"
                               ;; Without a rule: a call, as for `duet fmt'.
                               "(with-other a\n            (b))"))))
    (put 'with-agent-test 'duet-indent-function nil)
    (put 'defthing-test 'duet-indent-function nil)))

(ert-deftest duet-mode-indent-uses-spaces ()
  "Indentation never inserts tabs."
  (with-temp-buffer
    (insert "(workflow w\n(state s\n(action (assert (record agent-request \"r\"\n\"text\")))))")
    (duet-mode)
    (indent-region (point-min) (point-max))
    (should-not (string-match-p "\t" (buffer-string)))))

(defconst duet-test--face-sample
  "(defn greet \"Says hi.\" [name]
  (println (str \"hi\\n\" name :loud 42 3.5 true nil)))
(def max-tries 3)
(workflow ping-pong
  (state start
    (await (record agent-response ?id _))
    (shell `(x ,y ,@z) 'q)))
; line comment
#| block #| nested |# still |#
(list #;(skipped 1) kept)
"
  "Source used by the font-lock tests.")

(defun duet-test--faces-at (needle &optional nth)
  "Return the faces at the NTH (default 1st) occurrence of NEEDLE.
The result is always a list of faces (nil when there is no face)."
  (with-temp-buffer
    (insert duet-test--face-sample)
    (duet-mode)
    (font-lock-ensure)
    (goto-char (point-min))
    (dotimes (_ (or nth 1))
      (search-forward needle))
    (let ((face (get-text-property (match-beginning 0) 'face)))
      (if (listp face) face (list face)))))

(defmacro duet-test--should-face (needle face &optional nth)
  "Assert that the NTH occurrence of NEEDLE has FACE."
  `(should (memq ,face (duet-test--faces-at ,needle ,nth))))

(ert-deftest duet-mode-font-lock-forms ()
  "Special forms, workflow forms, effects, builtins and definition names."
  (duet-test--should-face "defn" 'font-lock-keyword-face)
  (duet-test--should-face "greet" 'font-lock-function-name-face)
  (duet-test--should-face "def max" 'font-lock-keyword-face)
  (duet-test--should-face "max-tries" 'font-lock-variable-name-face)
  (duet-test--should-face "workflow" 'font-lock-keyword-face)
  (duet-test--should-face "ping-pong" 'font-lock-type-face)
  (duet-test--should-face "state" 'font-lock-keyword-face)
  (duet-test--should-face "start" 'font-lock-function-name-face)
  (duet-test--should-face "await" 'font-lock-keyword-face)
  (duet-test--should-face "record" 'font-lock-keyword-face)
  (duet-test--should-face "shell" 'font-lock-keyword-face)
  (duet-test--should-face "println" 'font-lock-builtin-face)
  (duet-test--should-face "str" 'font-lock-builtin-face)
  ;; Not in head position: no face.
  (should-not (duet-test--faces-at "name]")))

(ert-deftest duet-mode-font-lock-literals ()
  "Strings, escapes, docstrings, numbers, constants, keywords, patterns."
  (duet-test--should-face "\"Says hi.\"" 'font-lock-doc-face)
  (duet-test--should-face "\"hi" 'font-lock-string-face)
  (duet-test--should-face "\\n" 'duet-string-escape-face)
  (duet-test--should-face "\\n" 'font-lock-string-face)
  (duet-test--should-face ":loud" 'duet-keyword-face)
  (duet-test--should-face "42" 'duet-number-face)
  (duet-test--should-face "3.5" 'duet-number-face)
  (duet-test--should-face "true" 'font-lock-constant-face)
  (duet-test--should-face "nil" 'font-lock-constant-face)
  (duet-test--should-face "?id" 'duet-pattern-variable-face)
  (duet-test--should-face "_)" 'duet-pattern-variable-face)
  (duet-test--should-face "`" 'duet-quote-face)
  (duet-test--should-face ",y" 'duet-quote-face)
  (duet-test--should-face ",@" 'duet-quote-face)
  (duet-test--should-face "'q" 'duet-quote-face))

(ert-deftest duet-mode-font-lock-comments ()
  "Line, nested block and datum comments."
  (duet-test--should-face "; line" 'font-lock-comment-delimiter-face)
  (duet-test--should-face "line comment" 'font-lock-comment-face)
  (duet-test--should-face "block" 'font-lock-comment-face)
  (duet-test--should-face "nested" 'font-lock-comment-face)
  (duet-test--should-face "still" 'font-lock-comment-face)
  (duet-test--should-face "#;" 'font-lock-comment-face)
  (duet-test--should-face "skipped" 'font-lock-comment-face)
  (duet-test--should-face "1)" 'font-lock-comment-face)
  (should-not (memq 'font-lock-comment-face (duet-test--faces-at "kept"))))

(ert-deftest duet-mode-syntax ()
  "The syntax table: nested block comments and `#;' datum comments."
  (with-temp-buffer
    (insert "#| a #| b |# c |# (x) (y #;(z w) v)")
    (duet-mode)
    (syntax-propertize (point-max))
    ;; Inside the nested comment, after the inner one closed.
    (goto-char (point-min))
    (search-forward " c")
    (should (nth 4 (syntax-ppss)))
    ;; After the outer comment closed.
    (search-forward "(x")
    (should-not (nth 4 (syntax-ppss)))
    ;; `#;(z w)' is one expression and does not comment out the line.
    (search-forward "#;")
    (goto-char (match-beginning 0))
    (forward-sexp 1)
    (should (looking-at-p " v)"))
    (goto-char (point-max))
    (should (= 0 (car (syntax-ppss))))))

(ert-deftest duet-mode-auto-mode ()
  "Files ending in .duet open in `duet-mode'."
  (should (eq (assoc-default "flow.duet" auto-mode-alist #'string-match)
              'duet-mode)))

(ert-deftest duet-mode-eglot-entry ()
  "Once eglot is loaded, `duet lsp' is its server for `duet-mode'."
  (unless (require 'eglot nil t)
    ;; Emacs 28 ships no eglot: stand in for it, so that the
    ;; `with-eval-after-load' form in duet-mode.el still runs.
    (defvar eglot-server-programs nil)
    (provide 'eglot))
  (should (equal (assq 'duet-mode (symbol-value 'eglot-server-programs))
                 '(duet-mode "duet" "lsp"))))

(provide 'duet-mode-test)

;;; duet-mode-test.el ends here
