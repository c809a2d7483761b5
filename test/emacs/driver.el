;;; driver.el --- Drives GradLens' language server from Emacs' eglot, in batch  -*- lexical-binding: t -*-

;; Loads the user configuration $GRADLENS_EMACS_CONFIG (the README's, with the path filled in),
;; reads a plan (a JSON list of steps) from $GRADLENS_EMACS_PLAN, runs each step through the
;; commands an Emacs user runs (find-file, flymake, eldoc's hover, completion-at-point,
;; xref-find-definitions, eglot-rename, eglot-format-buffer), and writes what Emacs got to
;; $GRADLENS_EMACS_OUT as JSON. Works with Emacs 28 and Debian's elpa-eglot 1.9.

(require 'subr-x)

(defconst gl-timeout 20.0 "Seconds a step waits for the server.")
(defvar gl-results nil "One result per step, in reverse order.")
(defvar gl-published (make-hash-table :test 'equal) "Files that got a publishDiagnostics.")

(defun gl-finish (err)
  (with-temp-file (getenv "GRADLENS_EMACS_OUT")
    (insert (json-serialize (list :results (vconcat (reverse gl-results))
                                  :error (or err :null)))))
  (kill-emacs 0))

(defun gl-wait (pred)
  "Runs timers and reads the server until PRED holds or `gl-timeout' passes; returns PRED's value."
  (let ((deadline (+ (float-time) gl-timeout)) value)
    (while (and (not (setq value (funcall pred))) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    value))

(defun gl-visit (file)
  "Visits FILE as C-x C-f does, then what the command loop runs after it (eglot-ensure connects there)."
  (find-file file)
  (run-hooks 'post-command-hook)
  (unless (gl-wait (lambda () (bound-and-true-p eglot--managed-mode)))
    (error "eglot does not manage %s (major mode %s)" file major-mode))
  (current-buffer))

(defun gl-goto (line character)
  (goto-char (point-min))
  (forward-line line)
  (forward-char character))

(defun gl-text () (buffer-substring-no-properties (point-min) (point-max)))

(defun gl-diagnostics ()
  (vconcat
   (mapcar (lambda (d)
             (let ((lsp (alist-get 'eglot-lsp-diag (flymake-diagnostic-data d))))
               (list :line (1- (line-number-at-pos (flymake-diagnostic-beg d)))
                     :type (symbol-name (flymake-diagnostic-type d))
                     :code (or (plist-get lsp :code) :null)
                     :message (flymake-diagnostic-text d))))
           (flymake-diagnostics))))

(defvar gl-actions
  (list
   (cons "diagnostics"
         (lambda (file step)
           (gl-visit file)
           (let ((ok (gl-wait (lambda ()
                                (if (plist-get step :expect_empty)
                                    (and (gethash file gl-published) (null (flymake-diagnostics)))
                                  (flymake-diagnostics))))))
             (list :ok (if ok t :false) :diagnostics (gl-diagnostics)))))
   (cons "hover"
         (lambda (file step)
           (gl-visit file)
           (gl-goto (plist-get step :line) (plist-get step :character))
           ;; eglot's member of eldoc-documentation-functions, called as eldoc calls it.
           (let (info)
             (eglot-hover-eldoc-function (lambda (doc &rest _) (setq info (or doc ""))))
             (gl-wait (lambda () info))
             (list :hover (or info :null)))))
   (cons "completion"
         (lambda (file step)
           (gl-visit file)
           (when-let ((typed (plist-get step :type)))
             (gl-goto (plist-get step :line) 0)
             (delete-region (line-beginning-position) (line-end-position))
             (insert typed))
           (gl-goto (plist-get step :line) (plist-get step :character))
           ;; What completion-at-point asks first: the capf's region and table.
           (pcase-let ((`(,beg ,end ,table . ,_) (run-hook-with-args-until-success 'completion-at-point-functions)))
             (let ((prefix (buffer-substring-no-properties beg end)))
               (list :prefix prefix
                     :candidates (vconcat (mapcar #'substring-no-properties (all-completions prefix table))))))))
   (cons "definition"
         (lambda (file step)
           (gl-visit file)
           (gl-goto (plist-get step :line) (plist-get step :character))
           (call-interactively #'xref-find-definitions) ; M-.
           (list :file (or buffer-file-name :null)
                 :line (1- (line-number-at-pos))
                 :character (current-column))))
   (cons "rename"
         (lambda (file step)
           (gl-visit file)
           (gl-goto (plist-get step :line) (plist-get step :character))
           (eglot-rename (plist-get step :newName))
           (list :text (gl-text))))
   (cons "formatting"
         (lambda (file _step)
           (gl-visit file)
           (eglot-format-buffer)
           (list :text (gl-text))))))

(condition-case err
    (progn
      ;; What startup does for a user with an init file, and --batch skips: activate the installed
      ;; packages (Debian's elpa-eglot), which defines eglot's autoloads such as eglot-ensure.
      (package-activate-all)
      (load (getenv "GRADLENS_EMACS_CONFIG") nil t)
      ;; Remember that a clean file's empty list was published at all.
      (with-eval-after-load 'eglot
        (cl-defmethod eglot-handle-notification :before
          (_server (_method (eql textDocument/publishDiagnostics)) &key uri &allow-other-keys)
          (puthash (expand-file-name (eglot--uri-to-path uri)) t gl-published)))
      (let ((plan (with-temp-buffer
                    (insert-file-contents (getenv "GRADLENS_EMACS_PLAN"))
                    (json-parse-buffer :object-type 'plist :array-type 'list :null-object nil :false-object nil))))
        (dolist (step plan)
          (let ((action (cdr (assoc (plist-get step :action) gl-actions))))
            (push (if (not action)
                      (list :error (format "unknown action %s" (plist-get step :action)))
                    (condition-case e
                        (funcall action (expand-file-name (plist-get step :file)) step)
                      (error (list :error (error-message-string e)))))
                  gl-results))))
      (gl-finish nil))
  (error (gl-finish (error-message-string err))))

;;; driver.el ends here
