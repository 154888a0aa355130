/* app.h: the console's state and its screens.
 *
 * Screens are tables of callbacks (enter, draw, key, leave) on a stack; the
 * loop dispatches keys to the top one and redraws when something marked the
 * app dirty.  Callbacks from the core (DNS answers, timers) only change state
 * and set dirty: they never draw.
 */
#ifndef NOTSPAM_APP_H
#define NOTSPAM_APP_H

#include <stdint.h>
#include <time.h>

#include "core/check/check.h"
#include "core/site/services.h"
#include "core/site/site.h"
#include "ui/cli.h"

/* What a screen's key handler returns. */
#define KEY_HANDLED	0x1
#define KEY_REDRAW	0x2
#define KEY_BACK	0x4
#define KEY_QUIT	0x8

struct app;
struct listen_report;

struct screen {
	const char	*name;
	/* Allocate the screen's state; arg is the screen's argument. */
	void		*(*enter)(struct app *, const void *arg);
	void		 (*draw)(struct app *, void *state, int rows, int cols);
	int		 (*key)(struct app *, void *state, int key);
	void		 (*leave)(struct app *, void *state);
	const char	*keys;		/* bottom line: the keys that work */
	const char *const *help;	/* help overlay lines, NULL-terminated */
};

extern const struct screen screen_dashboard;
/* screen_dns's arg: the domain's name, or NULL for the mail host's
 * records (A, AAAA, PTR, HELO SPF). */
extern const struct screen screen_dns;
extern const struct screen screen_keys;
extern const struct screen screen_configs;
extern const struct screen screen_doctor;
/* The guided setup (ui/setupview.c); arg NULL. */
extern const struct screen screen_setup;
/* The Test screen (ui/testview.c): send a test message, follow it. */
extern const struct screen screen_test;

#define APP_MAX_DEPTH 8

/* A line editor shown on the bottom line (filter, file name). */
struct app_input {
	int		 active;
	char		 prompt[64];
	char		 buf[256];
	size_t		 len;
	/* Called with the text on Enter (NULL on Esc). */
	void		(*done)(struct app *, void *state, const char *text);
	void		*state;
};

/* One paragraph of a modal text box, wrapped to the box when drawn. */
struct app_para {
	char		*text;
	int		 hang;		/* blanks before its later lines */
	int		 flags;		/* TEXTWRAP_ANY: a value copied whole */
};

struct session;
struct plan;
struct cfgplan;

struct app {
	const struct cli_opts	*opts;
	struct session		*session;	/* owns the three below */
	struct loop		*loop;		/* the session's */
	struct dns		*dns;		/* NULL when the resolver failed */
	char			*dns_error;	/* the session's: why */
	struct site		*site;		/* the session's */
	struct check_run	*run;		/* the current check run */
	time_t			 run_started;
	time_t			 last_check;	/* when the last run finished */
	uint64_t		 recheck_timer;
	uint64_t		 tick_timer;	/* spinner while pending */
	int			 tick;
	struct service		*svc;
	size_t			 nsvc;
	int			 dirty;
	int			 quit;
	char			*message;	/* one-line notice on the status line */
	int			 checking;	/* message is "checking again" */
	/* A modal text box (help, details): arrows, PgUp PgDn, Home End
	 * scroll it, Enter runs its action if it has one, any other key
	 * closes it. */
	char			*dialog_title;	/* NULL when none is open */
	struct app_para		*dialog;
	size_t			 ndialog;
	int			 dialog_top;	/* first wrapped line shown */
	int			 dialog_vis;	/* lines shown, at the last draw */
	int			 dialog_lines;	/* lines in all, at the last draw */
	/* Enter in the box: closes it, then this (app_dialog_enter). */
	void			(*dialog_fn)(struct app *, const char *);
	char			*dialog_arg;
	struct app_input	 input;
	struct cfgplan		*cfgplan;	/* ui/configview.c: the plan */
	/* What the running programs answer (core/doctor/listen.h): the last
	 * probe's report, and the one running; both NULL under --root. */
	struct listen_report	*probe;
	struct listen_report	*probing;
	/* Set by a screen's draw when its keys depend on what it shows: the
	 * bottom line this time (the screen's own string, valid until its
	 * next draw); NULL: the screen's keys. */
	const char		*keyline;
	int			 watch_ms;	/* the setup's DNS watch interval
						 * (setup --watch-interval), 0:
						 * its default */
	struct {
		const struct screen	*screen;
		void			*state;
	} stack[APP_MAX_DEPTH];
	int			 depth;
};

/* Screen stack. */
void app_push(struct app *, const struct screen *, const void *arg);
void app_pop(struct app *);

/* Start (or restart) the checks; called on open, on 'r' and by the timer. */
void app_recheck(struct app *);

/* Results of the current run (NULL, 0 before the first). */
const struct check_domain *app_results(const struct app *, size_t *n);

/* A notice on the status line until the next key. */
void app_message(struct app *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Open a modal text box, empty, with this title (copied); paragraphs are
 * added with app_dialog_add.  It replaces any box open. */
void app_dialog(struct app *, const char *title);
/* A paragraph of the open box (text copied), wrapped to the box's width
 * with hang blanks before its later lines; flags as textwrap() takes
 * (TEXTWRAP_ANY for a key or a record value). */
void app_dialog_add(struct app *, int hang, int flags, const char *text);
/* The same with the hang as wide as label, which starts the paragraph. */
void app_dialog_label(struct app *, const char *label, int flags,
    const char *text);
/* What Enter in the open box does: it closes the box, then calls fn
 * with a copy of arg. */
void app_dialog_enter(struct app *, void (*fn)(struct app *, const char *),
    const char *arg);

/* Open the line editor. */
void app_input(struct app *, const char *prompt, const char *initial,
    void (*done)(struct app *, void *, const char *), void *state);

/* The list cursor helper: move *cursor in [0, n) by key; keep *top so the
 * cursor shows in `visible` rows.  Returns 1 if the key moved it. */
int list_key(int key, int *cursor, int *top, int n, int visible);
void list_fix(int *cursor, int *top, int n, int visible);

/* The plan for the site (ui/configview.c), made once per site load: NULL
 * while the PTR records it needs are asked (the app is marked dirty when
 * it is made).  configs_plan_drop frees it (a new site, the end). */
const struct plan *configs_plan(struct app *);
void configs_plan_drop(struct app *);
/* The generation of the plan configs_plan() returns (each new plan has
 * a new one), or 0 while there is none. */
unsigned configs_plan_gen(struct app *);
/* Does a planned edit fix the configuration warning: its file:line is a
 * line an edit of that file replaces, or an edit sets a setting that the
 * warning or its line names (main.cf:59 "non_smtpd_milters =
 * $smtpd_milters" is fixed by the edit of smtpd_milters)?  The file's site path (caller
 * frees) or NULL; NULL while there is no plan.  Pushing screen_configs
 * with a path opens that file's diff. */
char *configs_fixes(struct app *, const char *warning);

/* Console entry point (ui/console.c); returns the exit status.  It opens
 * on the dashboard, or over it on the guided setup when nothing is
 * configured yet (setup_first_run). */
int console_run(const struct cli_opts *);

/* How console_open opens the console. */
struct console_opts {
	int	setup;		/* on the guided setup, whatever the site */
	int	watch_ms;	/* the setup's DNS watch interval; 0: default */
};
/* The console as console_run, opened as co says (NULL: as console_run). */
int console_open(const struct cli_opts *, const struct console_opts *co);

/* `notspam setup [--watch-interval SECONDS]` (ui/cli_setup.c): the
 * console opened on the guided setup. */
int cli_setup(const struct cli_opts *, int argc, char **argv);

#endif
