/* test_fsroot.c: paths under --root are resolved inside it.
 *
 * Each case builds a root in a temporary directory, with a "secret" file
 * outside it that the root's symlinks point at (absolutely, or through
 * ".."), and checks that resolving, stat and reading stay inside the root
 * and that no message holds the secret's content.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lib/fsroot.h"
#include "core/lib/fswrite.h"
#include "core/lib/util.h"

#define SECRET	"root:$6$notspamtestsecret$hash:19000:0:99999:7:::"

struct fx {
	char	 top[64];	/* holds root/ and outside/ */
	char	*root;
	char	*outside;	/* the secret's directory */
	char	*secret;	/* host path of the secret file */
};

/* Write text to the host path p. */
static void
put(const char *p, const char *text)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd != -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Make a symlink root/rel -> target. */
static void
link_in(struct fx *fx, const char *rel, const char *target)
{
	char *p = xasprintf("%s%s", fx->root, rel);

	assert_int_equal(symlink(target, p), 0);
	free(p);
}

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof *fx);
	char *p;

	strcpy(fx->top, "/tmp/notspam-fsroot.XXXXXX");
	assert_non_null(mkdtemp(fx->top));
	fx->root = xasprintf("%s/root", fx->top);
	fx->outside = xasprintf("%s/outside", fx->top);
	fx->secret = xasprintf("%s/shadow", fx->outside);
	assert_int_equal(mkdir(fx->root, 0755), 0);
	assert_int_equal(mkdir(fx->outside, 0755), 0);
	put(fx->secret, SECRET "\n");
	p = xasprintf("%s/etc", fx->root);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/srv", fx->root);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/etc/real", fx->root);
	put(p, "inside\n");
	free(p);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	char *cmd = xasprintf("rm -rf '%s'", fx->top);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(fx->root);
	free(fx->outside);
	free(fx->secret);
	free(fx);
	return 0;
}

/* An absolute symlink to a host file is taken under the root. */
static void
test_absolute_link_rerooted(void **state)
{
	struct fx *fx = *state;
	char *r = NULL, *cause = NULL, *data = NULL, *want;
	struct stat sb;
	size_t len;

	link_in(fx, "/srv/domains", fx->secret);
	assert_int_equal(fsroot_resolve(fx->root, "/srv/domains", 1, &r,
	    &cause), 0);
	assert_string_equal(r, fx->secret);	/* as a site path */
	free(r);
	assert_int_equal(fsroot_read(fx->root, "/srv/domains", 0, &data, &len,
	    &cause), -1);
	assert_null(data);
	want = xasprintf("/srv/domains: no such file (its symlinks lead to "
	    "%s inside the root)", fx->secret);
	assert_string_equal(cause, want);
	assert_null(strstr(cause, "notspamtestsecret"));
	free(want);
	free(cause);
	assert_int_equal(fsroot_stat(fx->root, "/srv/domains", &sb), -1);
	assert_false(fsroot_exists(fx->root, "/srv/domains"));
	/* lstat sees the link itself. */
	assert_int_equal(fsroot_lstat(fx->root, "/srv/domains", &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
}

/* ".." in a path or a link target never climbs above the root. */
static void
test_dotdot_clamped(void **state)
{
	struct fx *fx = *state;
	char *r = NULL, *cause = NULL, *data = NULL, *rel;
	size_t len;

	assert_int_equal(fsroot_resolve(fx->root, "/../../../../etc/real", 1,
	    &r, &cause), 0);
	assert_string_equal(r, "/etc/real");
	free(r);
	assert_int_equal(fsroot_read(fx->root, "/../../etc/real", 0, &data,
	    &len, &cause), 0);
	assert_string_equal(data, "inside\n");
	free(data);
	/* root/srv/up -> ../../../outside/shadow: clamped at the root. */
	rel = xasprintf("../../../../../../../..%s", fx->secret);
	link_in(fx, "/srv/up", rel);
	free(rel);
	assert_int_equal(fsroot_resolve(fx->root, "/srv/up", 1, &r, &cause),
	    0);
	assert_string_equal(r, fx->secret);
	free(r);
	assert_int_equal(fsroot_read(fx->root, "/srv/up", 0, &data, &len,
	    &cause), -1);
	assert_null(strstr(cause, "notspamtestsecret"));
	free(cause);
	/* A directory link out of the root, then a file in it. */
	link_in(fx, "/srv/dir", fx->outside);
	assert_int_equal(fsroot_read(fx->root, "/srv/dir/shadow", 0, &data,
	    &len, &cause), -1);
	free(cause);
	assert_false(fsroot_exists(fx->root, "/srv/dir/shadow"));
}

/* A link inside the root is followed; relative targets from its dir. */
static void
test_links_inside(void **state)
{
	struct fx *fx = *state;
	char *r = NULL, *cause = NULL, *data = NULL;
	size_t len;

	link_in(fx, "/srv/abs", "/etc/real");
	link_in(fx, "/srv/rel", "../etc/real");
	link_in(fx, "/srv/chain", "rel");
	assert_int_equal(fsroot_read(fx->root, "/srv/abs", 0, &data, &len,
	    &cause), 0);
	assert_string_equal(data, "inside\n");
	free(data);
	assert_int_equal(fsroot_resolve(fx->root, "/srv/chain", 1, &r,
	    &cause), 0);
	assert_string_equal(r, "/etc/real");
	free(r);
	/* follow_last 0 keeps the last link. */
	assert_int_equal(fsroot_resolve(fx->root, "/srv/chain", 0, &r,
	    &cause), 0);
	assert_string_equal(r, "/srv/chain");
	free(r);
	/* Missing components are kept as written. */
	assert_int_equal(fsroot_resolve(fx->root, "/srv/abs/../none/x", 1, &r,
	    &cause), -1);	/* /etc/real is not a directory */
	assert_int_equal(errno, ENOTDIR);
	free(cause);
	assert_int_equal(fsroot_resolve(fx->root, "/srv/none/./x", 1, &r,
	    &cause), 0);
	assert_string_equal(r, "/srv/none/x");
	free(r);
}

/* Loops of links, and relative paths under a root, are refused. */
static void
test_refused(void **state)
{
	struct fx *fx = *state;
	char *r = NULL, *cause = NULL, *data = NULL, *cwdfile;
	size_t len;

	link_in(fx, "/srv/a", "/srv/b");
	link_in(fx, "/srv/b", "a");
	assert_int_equal(fsroot_resolve(fx->root, "/srv/a", 1, &r, &cause),
	    -1);
	assert_int_equal(errno, ELOOP);
	assert_non_null(strstr(cause, "too many symlinks"));
	free(cause);
	assert_int_equal(fsroot_read(fx->root, "/srv/a", 0, &data, &len,
	    &cause), -1);
	free(cause);
	/* A relative path is never taken from the working directory. */
	cwdfile = xasprintf("notspam-fsroot-cwd-%ld", (long)getpid());
	put(cwdfile, "from the cwd\n");
	assert_int_equal(fsroot_read(fx->root, cwdfile, 0, &data, &len,
	    &cause), -1);
	assert_non_null(strstr(cause, "not an absolute path"));
	free(cause);
	assert_false(fsroot_exists(fx->root, cwdfile));
	/* Without a root it is a file name the user typed. */
	assert_int_equal(fsroot_read(NULL, cwdfile, 0, &data, &len, &cause),
	    0);
	free(data);
	unlink(cwdfile);
	free(cwdfile);
}

/* fswrite resolves with the same resolver: it cannot write outside. */
static void
test_fswrite_shares(void **state)
{
	struct fx *fx = *state;
	char *r = NULL, *cause = NULL, *data = NULL, *p;
	struct stat sb;
	size_t len;

	link_in(fx, "/srv/state", fx->secret);
	assert_int_equal(fswrite_resolve(fx->root, "/srv/state", &r, &cause),
	    0);
	assert_string_equal(r, fx->secret);
	free(r);
	/* The directory of the re-rooted target does not exist in the root:
	 * the write fails and the host file is untouched. */
	assert_int_equal(fswrite_file(fx->root, "/srv/state", "x", 1, NULL,
	    &cause), -1);
	free(cause);
	assert_int_equal(fsroot_read(NULL, fx->secret, 0, &data, &len, &cause),
	    0);
	assert_string_equal(data, SECRET "\n");
	free(data);
	p = xasprintf("%s/srv/state", fx->root);
	assert_int_equal(lstat(p, &sb), 0);	/* still the link */
	free(p);
	assert_true(S_ISLNK(sb.st_mode));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_absolute_link_rerooted,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_dotdot_clamped, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_links_inside, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fswrite_shares, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
