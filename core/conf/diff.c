/* diff.c: unified diffs of configuration documents (see diff.h).
 *
 * Lines get integer ids (equal lines, equal ids) through a hash table, so
 * the comparison loop compares integers.  Each region is narrowed by its
 * common prefix and suffix, then split at the middle of a shortest edit
 * path, found by searching forward from the start and backward from the
 * end at once (Myers 1986, section 4b); both halves are solved the same
 * way.  Changed lines are marked in one flag array per file, and the
 * hunks are read off those flags.
 */
#include "core/conf/diff.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/lib/util.h"

/* One line of a text, terminator included. */
struct diff_line {
	const char	*p;
	size_t		 len;
};

struct diff_file {
	struct diff_line	*lines;
	size_t			 n;
	long			*id;
	char			*changed;
};

struct diff_ctx {
	const long	*xv, *yv;
	char		*xchg, *ychg;
	long		*fd, *bd;	/* indexed by diagonal + off */
	long		 off;
};

/* Split text into lines, terminators included. */
static void
diff_split(const char *text, size_t len, struct diff_file *f)
{
	size_t off = 0, n;
	const char *nl;

	memset(f, 0, sizeof *f);
	while (off < len) {
		nl = memchr(text + off, '\n', len - off);
		n = nl == NULL ? len - off : (size_t)(nl - text - off) + 1;
		f->lines = xgrow(f->lines, f->n, sizeof *f->lines);
		f->lines[f->n].p = text + off;
		f->lines[f->n++].len = n;
		off += n;
	}
	f->id = xcalloc(f->n + 1, sizeof *f->id);
	/* A zero flag on each side (diff_shift reads them). */
	f->changed = (char *)xcalloc(f->n + 2, 1) + 1;
}

/* FNV-1a of a line's bytes. */
static uint64_t
diff_hash(const struct diff_line *l)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < l->len; i++) {
		h ^= (unsigned char)l->p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* Give every line of a and b an id; equal lines get equal ids.  Returns
 * the number of ids. */
static long
diff_ids(struct diff_file *a, struct diff_file *b)
{
	struct diff_file *f;
	const struct diff_line **slot, *l;
	long *slot_id, next = 0;
	size_t size = 16, i, h, k;

	while (size < 2 * (a->n + b->n))
		size *= 2;
	slot = xcalloc(size, sizeof *slot);
	slot_id = xcalloc(size, sizeof *slot_id);
	for (k = 0; k < 2; k++) {
		f = k == 0 ? a : b;
		for (i = 0; i < f->n; i++) {
			l = &f->lines[i];
			h = (size_t)diff_hash(l) & (size - 1);
			while (slot[h] != NULL && (slot[h]->len != l->len ||
			    memcmp(slot[h]->p, l->p, l->len) != 0))
				h = (h + 1) & (size - 1);
			if (slot[h] == NULL) {
				slot[h] = l;
				slot_id[h] = next++;
			}
			f->id[i] = slot_id[h];
		}
	}
	free(slot);
	free(slot_id);
	return next;
}

/* The forward search's step d on diagonal k: the furthest x reached
 * (-1: none); fd holds step d - 1. */
static long
diff_forward(const struct diff_ctx *c, const long *fd, long d, long k,
    long n, long m)
{
	long right = fd[k - 1] < 0 ? -1 : fd[k - 1] + 1, down = fd[k + 1];
	long x = d == 0 ? 0 : right > down ? right : down;

	if (x < 0 || x > n || x - k < 0 || x - k > m)
		return -1;
	while (x < n && x - k < m && c->xv[x] == c->yv[x - k])
		x++;
	return x;
}

/* The backward search's step d on diagonal k: the least x reached
 * (LONG_MAX: none); bd holds step d - 1. */
static long
diff_backward(const struct diff_ctx *c, const long *bd, long d, long k,
    long n, long m)
{
	long left = bd[k + 1] == LONG_MAX ? LONG_MAX : bd[k + 1] - 1;
	long up = bd[k - 1], x = d == 0 ? n : left < up ? left : up;

	if (x == LONG_MAX || x < 0 || x > n || x - k < 0 || x - k > m)
		return LONG_MAX;
	while (x > 0 && x - k > 0 && c->xv[x - 1] == c->yv[x - k - 1])
		x--;
	return x;
}

/*
 * A point (*xmid, *ymid) on a shortest edit path through the region
 * (local coordinates: x in [0, n], y in [0, m]), where a search forward
 * from (0, 0) and one backward from (n, m) first meet; 0, or -1 if they
 * did not (which would be a bug; the caller copes).
 */
static int
diff_middle(struct diff_ctx *c, long n, long m, long *xmid, long *ymid)
{
	long *fd = c->fd + c->off, *bd = c->bd + c->off;
	long delta = n - m, d, k, lo, hi, x;
	int odd = delta & 1;

	for (k = -m - 1; k <= n + 1; k++) {
		fd[k] = -1;
		bd[k] = LONG_MAX;
	}
	for (d = 0; d <= (n + m + 1) / 2 + 1; d++) {
		lo = -d < -m ? -d + 2 * ((-m + d + 1) / 2) : -d;
		hi = d > n ? d - 2 * ((d - n + 1) / 2) : d;
		for (k = hi; k >= lo; k -= 2) {
			fd[k] = x = diff_forward(c, fd, d, k, n, m);
			if (x >= 0 && odd && bd[k] != LONG_MAX && bd[k] <= x) {
				*xmid = x;
				*ymid = x - k;
				return 0;
			}
		}
		lo = delta - d < -m ? delta - d + 2 * ((-m - delta + d + 1) /
		    2) : delta - d;
		hi = delta + d > n ? delta + d - 2 * ((delta + d - n + 1) / 2) :
		    delta + d;
		for (k = hi; k >= lo; k -= 2) {
			bd[k] = x = diff_backward(c, bd, d, k, n, m);
			if (x != LONG_MAX && !odd && fd[k] >= 0 && x <= fd[k]) {
				*xmid = x;
				*ymid = x - k;
				return 0;
			}
		}
	}
	return -1;
}

/* Mark the lines of x[xoff, xlim) and y[yoff, ylim) that a shortest edit
 * script deletes and inserts. */
static void
diff_compare(struct diff_ctx *c, long xoff, long xlim, long yoff, long ylim)
{
	long xmid, ymid;

	while (xoff < xlim && yoff < ylim && c->xv[xoff] == c->yv[yoff]) {
		xoff++;
		yoff++;
	}
	while (xlim > xoff && ylim > yoff && c->xv[xlim - 1] ==
	    c->yv[ylim - 1]) {
		xlim--;
		ylim--;
	}
	if (xoff == xlim) {
		memset(c->ychg + yoff, 1, (size_t)(ylim - yoff));
		return;
	}
	if (yoff == ylim) {
		memset(c->xchg + xoff, 1, (size_t)(xlim - xoff));
		return;
	}
	c->xv += xoff;
	c->yv += yoff;
	if (diff_middle(c, xlim - xoff, ylim - yoff, &xmid, &ymid) != 0)
		xmid = ymid = -1;
	c->xv -= xoff;
	c->yv -= yoff;
	xmid += xoff;
	ymid += yoff;
	/* A split that does not shrink the problem would loop: the region
	 * is then marked changed as a whole (a valid, if longer, diff). */
	if (xmid < xoff || xmid > xlim || ymid < yoff || ymid > ylim ||
	    (xmid == xoff && ymid == yoff) || (xmid == xlim && ymid == ylim)) {
		memset(c->xchg + xoff, 1, (size_t)(xlim - xoff));
		memset(c->ychg + yoff, 1, (size_t)(ylim - yoff));
		return;
	}
	diff_compare(c, xoff, xmid, yoff, ymid);
	diff_compare(c, xmid, xlim, ymid, ylim);
}

/* Whether o has changed lines between its unchanged lines u - 1 and u
 * (oidx[k]: the line of o's k-th unchanged line; oidx[-1] is -1). */
static int
diff_ogap(const long *oidx, long u)
{
	return oidx[u] - oidx[u - 1] > 1;
}

/*
 * Move each run of changed lines of f to where diff prints it: as far up
 * as equal lines allow, merging with the runs it meets, then as far down,
 * and finally back up to the lowest place where it sits against changed
 * lines of o (so that a replaced line shows as "-old" then "+new").
 * u counts f's unchanged lines above the run.
 */
static void
diff_shift(struct diff_file *f, const struct diff_file *o)
{
	char *chg = f->changed;
	const long *id = f->id;
	long n = (long)f->n, i, u = 0, start, end, len, corr, *oidx;

	oidx = xreallocarray(NULL, o->n + 2, sizeof *oidx);
	oidx[0] = -1;
	for (i = 0; i < (long)o->n; i++)
		if (!o->changed[i])
			oidx[++u] = i;
	oidx[++u] = (long)o->n;
	oidx++;
	u = 0;
	for (i = 0; i < n;) {
		if (!chg[i]) {
			i++;
			u++;
			continue;
		}
		for (start = i; i < n && chg[i]; i++)
			;
		end = i;
		do {
			len = end - start;
			while (start > 0 && id[start - 1] == id[end - 1]) {
				chg[--start] = 1;
				chg[--end] = 0;
				u--;
				while (start > 0 && chg[start - 1])
					start--;
			}
			corr = diff_ogap(oidx, u) ? end : -1;
			while (end < n && id[start] == id[end]) {
				chg[start++] = 0;
				chg[end++] = 1;
				u++;
				while (end < n && chg[end])
					end++;
				if (diff_ogap(oidx, u))
					corr = end;
			}
		} while (len != end - start);
		while (corr >= 0 && corr < end &&
		    id[start - 1] == id[end - 1]) {
			chg[--start] = 1;
			chg[--end] = 0;
			u--;
		}
		i = end;
	}
	free(oidx - 1);
}

/* Print line l with its prefix; a line without terminator gets one and
 * the "\ No newline" marker. */
static void
diff_put(struct buf *out, char prefix, const struct diff_line *l)
{
	buf_addc(out, prefix);
	buf_add(out, l->p, l->len);
	if (l->len == 0 || l->p[l->len - 1] != '\n')
		buf_adds(out, "\n\\ No newline at end of file\n");
}

/* A hunk range as diff -u writes it: start is 0-based, count lines. */
static void
diff_range(struct buf *out, size_t start, size_t count)
{
	if (count == 1)
		buf_printf(out, "%zu", start + 1);
	else if (count == 0)
		buf_printf(out, "%zu,0", start);
	else
		buf_printf(out, "%zu,%zu", start + 1, count);
}

/* The number of unchanged lines from (i, j) to the next change, or
 * SIZE_MAX when no change follows. */
static size_t
diff_gap(const struct diff_file *a, const struct diff_file *b, size_t i,
    size_t j)
{
	size_t gap = 0;

	while (i < a->n && j < b->n && !a->changed[i] && !b->changed[j]) {
		i++;
		j++;
		gap++;
	}
	if ((i < a->n && a->changed[i]) || (j < b->n && b->changed[j]))
		return gap;
	return SIZE_MAX;
}

/* Print the hunk whose first change is at (i, j); returns with (*pi, *pj)
 * after its last change. */
static void
diff_hunk(struct buf *out, const struct diff_file *a,
    const struct diff_file *b, size_t *pi, size_t *pj)
{
	size_t i = *pi, j = *pj, ctx, as, bs, ae, be, k, gap;
	struct buf body;

	ctx = i < CONF_DIFF_CONTEXT ? i : CONF_DIFF_CONTEXT;
	if (j < ctx)
		ctx = j;
	as = i - ctx;
	bs = j - ctx;
	buf_init(&body);
	for (k = 0; k < ctx; k++)
		diff_put(&body, ' ', &a->lines[as + k]);
	for (;;) {
		while (i < a->n && a->changed[i])
			diff_put(&body, '-', &a->lines[i++]);
		while (j < b->n && b->changed[j])
			diff_put(&body, '+', &b->lines[j++]);
		gap = diff_gap(a, b, i, j);
		if (gap == SIZE_MAX || gap > 2 * CONF_DIFF_CONTEXT)
			break;
		for (k = 0; k < gap; k++, i++, j++)
			diff_put(&body, ' ', &a->lines[i]);
	}
	for (k = 0; k < CONF_DIFF_CONTEXT && i + k < a->n && j + k < b->n;
	    k++)
		diff_put(&body, ' ', &a->lines[i + k]);
	ae = i + k;
	be = j + k;
	buf_adds(out, "@@ -");
	diff_range(out, as, ae - as);
	buf_adds(out, " +");
	diff_range(out, bs, be - bs);
	buf_adds(out, " @@\n");
	buf_add(out, body.data, body.len);
	buf_free(&body);
	*pi = i;
	*pj = j;
}

/*
 * The lines of f whose id occurs in the other file (seen[id] set), as
 * ids in *kept and their line numbers in *where; the others can only be
 * changed and are marked so now.  Returns how many were kept.
 */
static long
diff_keep(struct diff_file *f, const char *seen, long **kept, long **where)
{
	long i, n = 0;

	*kept = xreallocarray(NULL, f->n + 1, sizeof **kept);
	*where = xreallocarray(NULL, f->n + 1, sizeof **where);
	for (i = 0; i < (long)f->n; i++) {
		if (!seen[f->id[i]]) {
			f->changed[i] = 1;
			continue;
		}
		(*kept)[n] = f->id[i];
		(*where)[n++] = i;
	}
	return n;
}

/* Mark the changed lines of a and b. */
static void
diff_solve(struct diff_file *a, struct diff_file *b)
{
	struct diff_ctx c;
	long na, nb, i, *ka, *kb, *wa, *wb, ids;
	char *ina, *inb, *xchg, *ychg;

	ids = diff_ids(a, b);
	ina = xcalloc((size_t)ids + 1, 1);
	inb = xcalloc((size_t)ids + 1, 1);
	for (i = 0; i < (long)a->n; i++)
		ina[a->id[i]] = 1;
	for (i = 0; i < (long)b->n; i++)
		inb[b->id[i]] = 1;
	na = diff_keep(a, inb, &ka, &wa);
	nb = diff_keep(b, ina, &kb, &wb);
	xchg = xcalloc((size_t)na + 1, 1);
	ychg = xcalloc((size_t)nb + 1, 1);
	memset(&c, 0, sizeof c);
	c.xv = ka;
	c.yv = kb;
	c.xchg = xchg;
	c.ychg = ychg;
	c.fd = xreallocarray(NULL, 2 * (size_t)(na + nb + 3), sizeof *c.fd);
	c.bd = xreallocarray(NULL, 2 * (size_t)(na + nb + 3), sizeof *c.bd);
	c.off = nb + 1;
	diff_compare(&c, 0, na, 0, nb);
	for (i = 0; i < na; i++)
		a->changed[wa[i]] = xchg[i];
	for (i = 0; i < nb; i++)
		b->changed[wb[i]] = ychg[i];
	free(c.fd);
	free(c.bd);
	free(xchg);
	free(ychg);
	free(ka);
	free(kb);
	free(wa);
	free(wb);
	free(ina);
	free(inb);
	diff_shift(a, b);
	diff_shift(b, a);
}

char *
conf_diff_text(const char *a, size_t alen, const char *b, size_t blen,
    const char *aname, const char *bname, size_t *len)
{
	struct diff_file fa, fb;
	struct buf out;
	size_t i = 0, j = 0;

	diff_split(a, alen, &fa);
	diff_split(b, blen, &fb);
	diff_solve(&fa, &fb);
	buf_init(&out);
	buf_add(&out, "", 0);
	for (;;) {
		while (i < fa.n && j < fb.n && !fa.changed[i] &&
		    !fb.changed[j]) {
			i++;
			j++;
		}
		if (i >= fa.n && j >= fb.n)
			break;
		if (out.len == 0)
			buf_printf(&out, "--- %s\n+++ %s\n", aname, bname);
		diff_hunk(&out, &fa, &fb, &i, &j);
	}
	free(fa.lines);
	free(fa.id);
	free(fa.changed - 1);
	free(fb.lines);
	free(fb.id);
	free(fb.changed - 1);
	if (len != NULL)
		*len = out.len;
	return buf_steal(&out);
}

char *
conf_diff(const struct conf_doc *a, const struct conf_doc *b, size_t *len)
{
	char *ta, *tb, *na, *nb, *out;
	size_t la, lb;

	ta = conf_text(a, &la);
	tb = conf_text(b, &lb);
	na = xasprintf("a/%s", a->path + strspn(a->path, "/"));
	nb = xasprintf("b/%s", b->path + strspn(b->path, "/"));
	out = conf_diff_text(ta, la, tb, lb, na, nb, len);
	free(ta);
	free(tb);
	free(na);
	free(nb);
	return out;
}
