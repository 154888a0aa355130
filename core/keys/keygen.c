/* keygen.c: DKIM keys made (or imported) in a child and stored safely. */
#include "core/keys/keygen.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "backends/backend.h"
#include "core/lib/fsroot.h"
#include "core/lib/fswrite.h"
#include "core/lib/loop.h"
#include "core/lib/proc.h"
#include "core/keys/keysafe.h"
#include "core/site/site.h"

/* What a child may send at most (notes and one public key). */
#define KG_MAX_REPLY	(64u * 1024)
/* A PEM key to import is a few kilobytes. */
#define KG_MAX_IMPORT	(256u * 1024)

struct keygen_job {
	struct proc	*proc;
	keygen_cb	 cb;
	void		*arg;
	char		*root;
	char		*path;		/* site path asked for */
	char		*tmp;		/* site path of the child's temp file */
};

int
keygen_check_selector(const char *selector, char **cause)
{
	size_t len;

	if (selector == NULL || *selector == '\0')
		return error_set(cause, "the selector is empty; use letters, "
		    "digits and hyphens, e.g. 202611");
	len = strlen(selector);
	if (len > 63 && strchr(selector, '.') == NULL)
		return error_set(cause, "selector \"%.20s...\" is longer than "
		    "63 characters, the limit of a DNS label", selector);
	if (len > 190)
		return error_set(cause, "selector is %zu characters; keep it "
		    "short (e.g. 202611)", len);
	if (!site_valid_domain(selector, 1)) {
		char *safe = str_sanitize(selector, len);
		error_set(cause, "invalid selector \"%s\": a selector is DNS "
		    "labels (letters, digits and hyphens, no hyphen at either "
		    "end, 1 to 63 each, dots between), e.g. 202611 or "
		    "mail-2026", safe);
		free(safe);
		return -1;
	}
	return 0;
}

int
keygen_check_domain(const char *domain, char **cause)
{
	char *safe;

	if (domain == NULL || *domain == '\0')
		return error_set(cause, "no domain given");
	if (site_valid_domain(domain, 0))
		return 0;
	safe = str_sanitize(domain, strlen(domain));
	error_set(cause, "invalid domain \"%s\": expected a DNS name such as "
	    "example.org (letters, digits and hyphens, labels of 1 to 63, at "
	    "least two labels, at most 253 in all)", safe);
	free(safe);
	return -1;
}

char *
keygen_default_selector(time_t now, const char *type)
{
	struct tm tm;
	char date[16];

	if (localtime_r(&now, &tm) == NULL)
		memset(&tm, 0, sizeof tm);
	strftime(date, sizeof date, "%Y%m", &tm);
	if (type != NULL && strcmp(type, "ed25519") == 0)
		return xasprintf("ed%s", date);
	return xstrdup(date);
}

char *
keygen_default_path(const char *signer, const char *domain,
    const char *selector)
{
	return backend_key_path(backend_signer(signer), domain, selector);
}

/* Is the RSA size acceptable?  Adds a warning for 1024. */
static int
kg_check_bits(int bits, int allow_weak, struct strv *notes, char **cause)
{
	if (bits < KEYGEN_RSA_WEAK)
		return error_set(cause, "RSA keys below 1024 bits are refused: "
		    "verifiers ignore them (RFC 8301); use 2048");
	if (bits == KEYGEN_RSA_WEAK) {
		if (!allow_weak)
			return error_set(cause, "1024-bit RSA is weak and some "
			    "receivers treat it as no signature; use 2048, or "
			    "pass --weak if the DNS host cannot take longer "
			    "records");
		if (notes != NULL)
			strv_add(notes, "warning: 1024-bit RSA is weak (RFC "
			    "8301 asks for 2048); replace it when you can");
	}
	return 0;
}

int
keygen_check_size(const char *type, int bits, int allow_weak,
    struct strv *notes, char **cause)
{
	if (type == NULL || strcmp(type, "rsa") == 0) {
		if (bits == 0)
			bits = KEYGEN_RSA_DEFAULT;
		if (kg_check_bits(bits, allow_weak, notes, cause) != 0)
			return -1;
		if (bits != 1024 && bits != 2048 && bits != 3072 &&
		    bits != 4096)
			return error_set(cause, "RSA size %d: choose 2048 (the "
			    "default), 3072 or 4096", bits);
	} else if (strcmp(type, "ed25519") == 0) {
		if (bits != 0 && bits != 256)
			return error_set(cause, "Ed25519 keys have a fixed "
			    "size; drop --bits");
	} else
		return error_set(cause, "key type \"%s\": choose rsa or "
		    "ed25519", type);
	return 0;
}

int
keygen_check(const struct keygen_req *req, struct strv *notes, char **cause)
{
	struct stat sb;
	char *resolved = NULL;

	if (req->import == NULL && keygen_check_size(req->type, req->bits,
	    req->allow_weak, notes, cause) != 0)
		return -1;
	if (req->path == NULL || req->path[0] != '/')
		return error_set(cause, "%s: the key path must be absolute",
		    req->path != NULL ? req->path : "(none)");
	if (fsroot_lstat(req->root, req->path, &sb) == 0)
		return error_set(cause, "%s already exists; notspam never "
		    "overwrites a key: choose another selector (or path)",
		    req->path);
	if (keysafe_resolve(req->root, req->path, &resolved, cause) != 0)
		return -1;
	if (fsroot_lstat(req->root, resolved, &sb) == 0) {
		error_set(cause, "%s (%s) already exists; notspam never "
		    "overwrites a key: choose another selector (or path)",
		    req->path, resolved);
		free(resolved);
		return -1;
	}
	free(resolved);
	return 0;
}

/* The site path of the temporary file for `resolved` made by pid. */
static char *
kg_tmpname(const char *resolved, pid_t pid)
{
	const char *slash = strrchr(resolved, '/');

	return xasprintf("%.*s/.%s.notspam-%ld.tmp", (int)(slash - resolved),
	    resolved, slash + 1, (long)pid);
}

/* Send one line (type, text) to the parent; newlines become spaces. */
static void
kg_send(int fd, const char *type, const char *text)
{
	char *line = xasprintf("%s %s\n", type, text), *p;
	size_t len = strlen(line);

	for (p = line; p < line + len - 1; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	(void)fswrite_all(fd, line, len);	/* the parent sees it missing */
	free(line);
}

/* Generate a key; NULL with *cause. */
static EVP_PKEY *
kg_generate(const char *type, int bits, char **cause)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;
	int rsa = type == NULL || strcmp(type, "rsa") == 0;

	if (bits == 0)
		bits = KEYGEN_RSA_DEFAULT;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, rsa ? "RSA" : "ED25519", NULL);
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 ||
	    (rsa && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) <= 0) ||
	    EVP_PKEY_generate(ctx, &pkey) <= 0) {
		error_set(cause, "OpenSSL could not generate the %s key",
		    rsa ? "RSA" : "Ed25519");
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* PEM password callback: never prompt. */
static int
kg_nopass(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return -1;
}

/* Read the key to import (host path); NULL with *cause. */
static EVP_PKEY *
kg_import(const char *file, int allow_weak, struct strv *notes, char **cause)
{
	struct dkim_pub pub;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *data = NULL;
	size_t len = 0;

	if (fsroot_read(NULL, file, KG_MAX_IMPORT, &data, &len, cause) != 0)
		return NULL;
	/* dkimkey says precisely what is wrong with a file that is no key. */
	if (dkimkey_from_pem(data, len, file, &pub, cause) != 0)
		goto done;
	if (strcmp(pub.type, "rsa") == 0 &&
	    kg_check_bits(pub.bits, allow_weak, notes, cause) != 0) {
		dkimkey_free(&pub);
		goto done;
	}
	dkimkey_free(&pub);
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL)
		fatal("BIO_new_mem_buf failed");
	if ((pkey = PEM_read_bio_PrivateKey(bio, NULL, kg_nopass, NULL)) ==
	    NULL)
		error_set(cause, "%s: cannot read the private key", file);
done:
	BIO_free(bio);
	OPENSSL_cleanse(data, len);
	free(data);
	return pkey;
}

/*
 * Open (creating when missing) the directory of site path `resolved`,
 * walking from the root with O_NOFOLLOW.  Returns a descriptor or -1.
 */
static int
kg_open_dir(const char *root, const char *resolved, uid_t uid, gid_t gid,
    int chown_ok, struct strv *notes, char **cause)
{
	char *host = fsroot_path(root, "/"), *dir, *p, *comp;
	const char *slash = strrchr(resolved, '/'), *sofar;
	struct buf so;
	int dfd, nfd, last, made;

	dfd = open(host, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(host);
	if (dfd == -1) {
		error_set(cause, "cannot open the root directory: %s",
		    strerror(errno));
		return -1;
	}
	dir = xstrndup(resolved, (size_t)(slash - resolved));
	buf_init(&so);
	p = dir;
	while ((comp = strsep(&p, "/")) != NULL) {
		if (*comp == '\0')
			continue;
		last = p == NULL;
		buf_addc(&so, '/');
		buf_adds(&so, comp);
		sofar = so.data;
		made = 0;
		if (mkdirat(dfd, comp, last ? 0700 : 0755) == 0)
			made = 1;
		else if (errno != EEXIST) {
			error_set(cause, "cannot create directory %s: %s",
			    sofar, strerror(errno));
			goto fail;
		}
		nfd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (nfd == -1) {
			error_set(cause, "cannot open directory %s: %s%s",
			    sofar, strerror(errno), errno == ELOOP ||
			    errno == ENOTDIR ? " (it changed into a symlink or "
			    "file while the key was made; check it)" : "");
			goto fail;
		}
		close(dfd);
		dfd = nfd;
		if (!made)
			continue;
		/* umask 077 made it 0700; intermediate ones are 0755. */
		if (fchmod(dfd, last ? 0700 : 0755) == -1) {
			error_set(cause, "chmod %s: %s", sofar,
			    strerror(errno));
			goto fail;
		}
		if (last && chown_ok && fchown(dfd, uid, gid) == -1)
			strv_addf(notes, "could not give directory %s to uid "
			    "%u: %s", sofar, (unsigned)uid, strerror(errno));
		strv_addf(notes, "created directory %s (mode %s)", sofar,
		    last ? "0700" : "0755");
	}
	free(dir);
	buf_free(&so);
	return dfd;
fail:
	free(dir);
	buf_free(&so);
	close(dfd);
	return -1;
}

/* Store the PEM text at site path `resolved`: see the header. */
static int
kg_store(const struct keygen_req *req, const char *resolved, const char *pem,
    size_t len, int fdout, struct strv *notes, char **cause)
{
	struct passwd *pw;
	struct stat sb;
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char *tmp = kg_tmpname(resolved, getpid());
	const char *base = strrchr(resolved, '/') + 1;
	const char *tbase = strrchr(tmp, '/') + 1;
	int dfd = -1, fd = -1, rc = -1, chown_ok = 0, linked = 0;
	char mode[8];

	if (req->user != NULL && (req->root == NULL || *req->root == '\0' ||
	    strcmp(req->root, "/") == 0)) {
		if ((pw = getpwnam(req->user)) == NULL)
			strv_addf(notes, "user %s does not exist here, so the "
			    "key stays owned by uid %u: once the signer is "
			    "installed, run: chown %s %s", req->user,
			    (unsigned)uid, req->user, req->path);
		else {
			uid = pw->pw_uid;
			gid = pw->pw_gid;
			chown_ok = 1;
		}
	} else if (req->user != NULL)
		strv_addf(notes, "under --root the key keeps the running "
		    "user's ownership (uid %u); on the server it must belong "
		    "to %s: chown %s %s", (unsigned)uid, req->user, req->user,
		    req->path);
	if ((dfd = kg_open_dir(req->root, resolved, uid, gid, chown_ok, notes,
	    cause)) == -1)
		goto done;
	if ((fd = fswrite_create_at(dfd, tbase)) == -1) {
		fswrite_error(cause, "create", tmp, errno);
		goto done;
	}
	if (chown_ok && fchown(fd, uid, gid) == -1) {
		error_set(cause, "cannot give %s to %s: %s", tmp, req->user,
		    strerror(errno));
		goto done;
	}
	if (fchmod(fd, 0600) == -1 || fswrite_all(fd, pem, len) == -1 ||
	    fsync(fd) == -1 || fstat(fd, &sb) == -1) {
		fswrite_error(cause, "write", tmp, errno);
		goto done;
	}
	if (close(fd) == -1) {
		fd = -1;
		fswrite_error(cause, "write", tmp, errno);
		goto done;
	}
	fd = -1;
	if (linkat(dfd, tbase, dfd, base, 0) == -1) {
		if (errno == EEXIST)
			error_set(cause, "%s already exists; notspam never "
			    "overwrites a key: choose another selector",
			    req->path);
		else
			error_set(cause, "cannot create %s: %s", req->path,
			    strerror(errno));
		goto done;
	}
	linked = 1;
	(void)fsync(dfd);
	{
		char *o = xasprintf("%u %u %s", (unsigned)sb.st_uid,
		    (unsigned)sb.st_gid, keysafe_mode(sb.st_mode, mode));
		kg_send(fdout, "stat", o);
		free(o);
	}
	rc = 0;
done:
	if (fd != -1)
		close(fd);
	if (dfd != -1) {
		/* The temporary name goes, whether the key was linked or not. */
		if (unlinkat(dfd, tbase, 0) == 0 && linked)
			(void)fsync(dfd);
		close(dfd);
	}
	free(tmp);
	return rc;
}

/* The child's work; messages go to fd. */
static int
kg_child(const struct keygen_req *req, int fd)
{
	struct strv notes;
	struct dkim_pub pub;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *resolved = NULL, *cause = NULL, *pem = NULL, *line;
	long plen = 0;
	size_t i;
	int rc = -1;

	umask(077);
	strv_init(&notes);
	memset(&pub, 0, sizeof pub);
	if (keygen_check(req, &notes, &cause) != 0 ||
	    keysafe_resolve(req->root, req->path, &resolved, &cause) != 0)
		goto done;
	if (req->import != NULL)
		pkey = kg_import(req->import, req->allow_weak, &notes, &cause);
	else
		pkey = kg_generate(req->type, req->bits, &cause);
	if (pkey == NULL)
		goto done;
	if ((bio = BIO_new(BIO_s_secmem())) == NULL &&
	    (bio = BIO_new(BIO_s_mem())) == NULL)
		fatal("BIO_new failed");
	/* PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY"). */
	if (PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) !=
	    1 || (plen = BIO_get_mem_data(bio, &pem)) <= 0) {
		error_set(&cause, "OpenSSL could not encode the key");
		goto done;
	}
	if (dkimkey_from_pem(pem, (size_t)plen, req->path, &pub, &cause) != 0)
		goto done;
	if (kg_store(req, resolved, pem, (size_t)plen, fd, &notes,
	    &cause) != 0)
		goto done;
	line = xasprintf("%s %d %s", pub.type, pub.bits, pub.p);
	kg_send(fd, "pub", line);
	free(line);
	rc = 0;
done:
	for (i = 0; i < notes.n; i++)
		kg_send(fd, "note", notes.v[i]);
	if (rc != 0)
		kg_send(fd, "error", cause != NULL ? cause : "failed");
	else
		kg_send(fd, "ok", "");
	if (pem != NULL)
		OPENSSL_cleanse(pem, (size_t)plen);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	dkimkey_free(&pub);
	strv_free(&notes);
	free(resolved);
	free(cause);
	return rc;
}

/* The child's work under proc_start_fn: the answer goes to stdout. */
static int
kg_child_main(void *arg)
{
	return kg_child(arg, STDOUT_FILENO) == 0 ? 0 : 1;
}

/* Free the job's own memory (the child is gone). */
static void
kg_job_free(struct keygen_job *job)
{
	free(job->root);
	free(job->path);
	free(job->tmp);
	free(job);
}

/* Remove the child's temporary file (the child is gone). */
static void
kg_remove_tmp(const struct keygen_job *job)
{
	char *host = fsroot_path(job->root, job->tmp);

	(void)unlink(host);
	free(host);
}

/* Parse the child's lines into *res; -1 with *cause on "error". */
static int
kg_parse(const char *text, struct keygen_result *res, char **cause)
{
	struct strv lines;
	char *sp, *v;
	size_t i;
	int ok = 0, rc = -1;
	unsigned u, g, m;
	int bits;

	strv_init(&lines);
	str_split(text, "\n", &lines);
	for (i = 0; i < lines.n; i++) {
		v = lines.v[i];
		sp = strchr(v, ' ');
		if (sp == NULL)
			continue;
		*sp++ = '\0';
		if (strcmp(v, "note") == 0)
			strv_add(&res->notes, sp);
		else if (strcmp(v, "error") == 0) {
			free(*cause);
			*cause = xstrdup(sp);
		} else if (strcmp(v, "ok") == 0)
			ok = 1;
		else if (strcmp(v, "stat") == 0 &&
		    sscanf(sp, "%u %u %o", &u, &g, &m) == 3) {
			res->uid = (uid_t)u;
			res->gid = (gid_t)g;
			res->mode = (mode_t)m;
		} else if (strcmp(v, "pub") == 0) {
			char type[16], *p = NULL;
			if (sscanf(sp, "%15s %d", type, &bits) != 2 ||
			    (p = strrchr(sp, ' ')) == NULL)
				continue;
			free(res->pub.type);
			free(res->pub.p);
			res->pub.type = xstrdup(type);
			res->pub.bits = bits;
			res->pub.p = xstrdup(p + 1);
		}
	}
	if (ok && res->pub.p != NULL)
		rc = 0;
	strv_free(&lines);
	return rc;
}

/* The child is reaped: parse its answer and call back. */
static void
kg_done(struct proc_result *pr, void *arg)
{
	struct keygen_job *job = arg;
	struct keygen_result res;
	char *why = NULL, *first, *safe;

	memset(&res, 0, sizeof res);
	strv_init(&res.notes);
	if (kg_parse(pr->out, &res, &why) == 0 && pr->status == 0) {
		res.path = xstrdup(job->path);
		job->cb(&res, NULL, job->arg);
		kg_job_free(job);
		return;
	}
	keygen_result_free(&res);
	if (pr->status != 0)
		kg_remove_tmp(job);	/* it died before cleaning up */
	if (why == NULL) {
		first = xstrndup(pr->err, strcspn(pr->err, "\n"));
		safe = str_sanitize(first, strlen(first));
		if (pr->signo != 0)
			why = xasprintf("the key generator was killed by "
			    "signal %d", pr->signo);
		else
			why = xasprintf("the key generator failed (status "
			    "%d)%s%s", pr->status, *safe != '\0' ? ": " : "",
			    safe);
		free(first);
		free(safe);
	}
	job->cb(NULL, why, job->arg);
	free(why);
	kg_job_free(job);
}

struct keygen_job *
keygen_start(struct loop *loop, const struct keygen_req *req, keygen_cb cb,
    void *arg, char **cause)
{
	struct keygen_job *job;
	struct proc_opts o;
	char *resolved = NULL;

	if (keygen_check(req, NULL, cause) != 0 ||
	    keysafe_resolve(req->root, req->path, &resolved, cause) != 0)
		return NULL;
	job = xcalloc(1, sizeof *job);
	job->cb = cb;
	job->arg = arg;
	job->root = req->root != NULL ? xstrdup(req->root) : NULL;
	job->path = xstrdup(req->path);
	memset(&o, 0, sizeof o);
	o.max_out = KG_MAX_REPLY;
	/* The child gets a copy of *req with the fork. */
	job->proc = proc_start_fn(loop, "the key generator", kg_child_main,
	    (void *)req, &o, kg_done, job, cause);
	if (job->proc == NULL) {
		free(resolved);
		kg_job_free(job);
		return NULL;
	}
	job->tmp = kg_tmpname(resolved, proc_pid(job->proc));
	free(resolved);
	return job;
}

pid_t
keygen_pid(const struct keygen_job *job)
{
	return proc_pid(job->proc);
}

void
keygen_cancel(struct keygen_job *job)
{
	if (job == NULL)
		return;
	proc_cancel(job->proc);
	kg_remove_tmp(job);
	kg_job_free(job);
}

/* keygen_run's end of the callback. */
struct kg_wait {
	int			 done;
	int			 rc;
	struct keygen_result	*res;
	char			**cause;
};

static void
kg_wait_cb(struct keygen_result *res, const char *why, void *arg)
{
	struct kg_wait *w = arg;

	w->done = 1;
	if (res != NULL) {
		*w->res = *res;		/* moved: the caller frees it */
		w->rc = 0;
	} else {
		error_set(w->cause, "%s", why);
		w->rc = -1;
	}
}

int
keygen_run(const struct keygen_req *req, struct keygen_result *res,
    char **cause)
{
	struct kg_wait w;
	struct loop *loop;

	memset(res, 0, sizeof *res);
	memset(&w, 0, sizeof w);
	w.res = res;
	w.cause = cause;
	loop = loop_new();
	if (keygen_start(loop, req, kg_wait_cb, &w, cause) == NULL) {
		loop_free(loop);
		return -1;
	}
	loop_run(loop, &w.done);
	loop_free(loop);
	return w.done ? w.rc : error_set(cause, "the key generator vanished");
}

void
keygen_result_free(struct keygen_result *res)
{
	if (res == NULL)
		return;
	free(res->path);
	dkimkey_free(&res->pub);
	strv_free(&res->notes);
	memset(res, 0, sizeof *res);
}
