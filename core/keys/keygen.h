/* keygen.h: making DKIM keys (OpenSSL EVP) and storing them safely.
 *
 * Generation runs in a forked child (proc_start_fn, on the loop) so the
 * console never freezes (RSA 4096 takes seconds): the child generates (or
 * imports) the key, writes the file itself and sends back over its stdout
 * pipe only status text and the public key (the DKIM p= value): private key
 * bytes never reach the parent.  The child
 * sets umask 077 first, so nothing it creates is ever readable by others.
 *
 * Storage, all in the child:
 * - the key path is resolved with keysafe_resolve() (symlinks a user other
 *   than root controls are refused), then walked from the root directory
 *   with O_NOFOLLOW at every step, so a link swapped in meanwhile fails;
 * - missing directories are created: the key's own 0700 (owned by the
 *   signer's user like Debian's /etc/dkimkeys), those above it 0755 root;
 * - the key goes to a temporary name in the key directory opened with
 *   O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600 (fswrite_create_at), fchown()ed
 *   to the signer's user, written as PEM PKCS#8 ("BEGIN PRIVATE KEY") with
 *   fswrite_all, fsync()ed, then linked to
 *   its name with linkat() (fails if anything, even a dangling symlink, has
 *   the name: an existing key is never overwritten), the temporary name
 *   removed and the directory fsync()ed;
 * - ownership: only on the live system (root "/"): the signer's user is
 *   looked up with getpwnam() and the key (and a directory made for it)
 *   chown'ed to it and its primary group.  Under --root the names of the
 *   site's users mean nothing on this machine: files keep the running
 *   user's ownership and the result says so (a note).
 *
 * Default paths are the signer backend's (backend_key_path): its key
 * directory and suffix, e.g. "/etc/dkimkeys/<domain>_<selector>.private"
 * for OpenDKIM.  '_' appears in neither a valid domain nor a valid
 * selector, so the name is unambiguous.
 */
#ifndef NOTSPAM_KEYGEN_H
#define NOTSPAM_KEYGEN_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "core/keys/dkimkey.h"
#include "core/lib/util.h"

/* RSA sizes: the default, and the weakest accepted (only when asked). */
#define KEYGEN_RSA_DEFAULT	2048
#define KEYGEN_RSA_WEAK		1024

struct keygen_req {
	const char	*root;		/* --root; NULL for "/" */
	const char	*path;		/* site path of the key file to create */
	const char	*type;		/* "rsa" or "ed25519" (ignored on import) */
	int		 bits;		/* RSA: 1024 (with allow_weak), 2048,
					   3072, 4096; 0: 2048 */
	int		 allow_weak;	/* accept RSA 1024 (generated or imported) */
	const char	*user;		/* owner on "/"; NULL: the running user */
	const char	*import;	/* host path of a PEM key to store instead
					   of generating one, or NULL */
};

struct keygen_result {
	char		*path;		/* site path written */
	struct dkim_pub	 pub;		/* type, bits, p= (public) */
	uid_t		 uid;		/* owner as written */
	gid_t		 gid;
	mode_t		 mode;		/* 0600 */
	struct strv	 notes;		/* what the user should know: a user
					   that does not exist, ownership left
					   under --root, directories created */
};

/*
 * Check the request before any work: type, size (below 1024 refused, 1024
 * only with allow_weak, others among 2048/3072/4096), an absolute path,
 * nothing at the path yet, no unsafe symlink on the way.  Returns 0 and
 * appends warnings (weak key) to *notes (may be NULL), or -1 with *cause.
 */
int keygen_check(const struct keygen_req *, struct strv *notes, char **cause);

/* Check only the type and size (as keygen_check does): 0, or -1 with
 * *cause; a weak-key warning is appended to *notes (may be NULL). */
int keygen_check_size(const char *type, int bits, int allow_weak,
    struct strv *notes, char **cause);

/* Validate a selector: DNS labels (letters, digits, hyphens; 1..63 each;
 * dots allowed between labels), at most 63 + 190 so that
 * "<selector>._domainkey.<domain>" can fit in 253.  Returns 0 or -1 with
 * *cause saying what is wrong and what is allowed. */
int keygen_check_selector(const char *selector, char **cause);

/* Validate a domain name the same way (at least two labels). */
int keygen_check_domain(const char *domain, char **cause);

/* The default selector for a key made at `now` (local time): "YYYYMM",
 * with "ed" in front for Ed25519 ("ed202611").  Caller frees. */
char *keygen_default_selector(time_t now, const char *type);

/* The default site path of a key for signer, as its backend says
 * (backend_key_path: the signer's key directory and suffix; the default
 * signer's for NULL or a name that is no signer).  Caller frees. */
char *keygen_default_path(const char *signer, const char *domain,
    const char *selector);

/*
 * Start making the key in a child on the loop (proc_start_fn: the child
 * runs the generation and storage above, in this process's memory, and
 * answers on its stdout pipe, which the loop watches).  Returns a job, or
 * NULL with *cause if keygen_check() fails or the child cannot start.
 * When the child is done, cb runs from the loop, once: on success with res
 * filled (the callback owns what it holds: keygen_result_free) and cause
 * NULL; on failure with res NULL and cause the child's message or how it
 * died (freed after the callback).  The job is freed after the callback
 * returns.  keygen_cancel() before that kills the child, reaps it and
 * removes its temporary file; cb is then never called.
 */
struct loop;
struct keygen_job;
typedef void (*keygen_cb)(struct keygen_result *res, const char *cause,
    void *arg);
struct keygen_job *keygen_start(struct loop *, const struct keygen_req *,
    keygen_cb, void *arg, char **cause);
pid_t keygen_pid(const struct keygen_job *);
void keygen_cancel(struct keygen_job *);

/* The blocking form for the command line: keygen_start on a private loop,
 * run until the child is done.  0 and *res (keygen_result_free), or -1
 * with *cause. */
int keygen_run(const struct keygen_req *, struct keygen_result *,
    char **cause);

void keygen_result_free(struct keygen_result *);

#endif
