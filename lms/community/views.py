"""The boards' pages: load, authorise (visibility, through the services), validate, call one
service, respond."""
from __future__ import annotations

import csv
import io

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from lms import clock
from lms.auth.access import login_required
from lms.community import notifications, services
from lms.community import search as search_service
from lms.community.forms import (
    ConfirmForm,
    EditForm,
    FlagForm,
    ModerateForm,
    ReplyForm,
    SuspendForm,
    ThreadForm,
    WarnForm,
)
from lms.community.visibility import can_moderate, can_see, viewer_for, visible_pairs
from lms.errors import DomainError, NotFound, PermissionDenied
from lms.spreadsheet import safe_cell

bp = Blueprint("community", __name__, template_folder="templates", url_prefix="/community")


def init_app(app) -> None:  # noqa: ANN001 - the Flask app
    """Register the blueprint and the one visibility check with network's notifications."""
    app.register_blueprint(bp)
    notifications.set_visibility_check(visible_pairs)


def _viewer():
    return viewer_for(current_user)


def _or_404(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except NotFound:
        abort(404)


def _thread_url(thread_id: int, **kwargs) -> str:
    return url_for("community.thread", thread_id=thread_id, **kwargs)


@bp.route("/")
@login_required
def index():
    return render_template("community/index.html", boards=services.boards_for(_viewer()),
                           moderator=services.moderates_any(_viewer()))


@bp.route("/<kind>/<ref>", methods=["GET", "POST"])
@login_required
def board(kind: str, ref: str):
    viewer = _viewer()
    key = f"{kind}:{ref}"
    the_board = _or_404(services.open_board, viewer, key)
    form = ThreadForm()
    if not the_board.anonymous:
        del form.anonymous
    if form.validate_on_submit():
        try:
            thread = services.create_thread(
                current_user, key, kind=form.kind.data, title=form.title.data,
                body=form.body.data,
                anonymous=bool(getattr(form, "anonymous", None) and form.anonymous.data),
                now=clock.now())
        except DomainError as err:
            form.body.errors = [*form.body.errors, str(err)]
        else:
            if thread.listed:
                flash("Thread started.", "success")
            else:
                flash("Thread saved: it has many links, so a moderator approves it before "
                      "others see it.", "info")
            return redirect(_thread_url(thread.id))
    filter_ = request.args.get("filter", "all")
    if filter_ not in services.FILTERS:
        filter_ = "all"
    rows, info = services.list_threads(viewer, the_board, filter_=filter_,
                                       page=request.args.get("page", 1, type=int))
    following = services.follows_board(viewer, key)
    return render_template(
        "community/board.html", board=the_board, rows=rows, pagination=info, form=form,
        filter=filter_, filters=services.FILTERS, moderator=can_moderate(viewer, key),
        following=following, confirm_form=ConfirmForm()), 400 if form.errors else 200


@bp.route("/<kind>/<ref>/follow", methods=["POST"])
@login_required
def follow_board(kind: str, ref: str):
    on = request.form.get("on") == "1"
    if ConfirmForm().validate_on_submit():
        _or_404(services.follow_board, current_user, f"{kind}:{ref}", on, clock.now())
        flash("You follow this board: new threads will notify you." if on
              else "You no longer follow this board.", "success")
    return redirect(url_for("community.board", kind=kind, ref=ref))


@bp.route("/threads/<int:thread_id>", methods=["GET"])
@login_required
def thread(thread_id: int):
    viewer = _viewer()
    item = _or_404(services.get_thread, thread_id)
    page = request.args.get("page", None, type=int)
    view = _or_404(services.read_thread, viewer, item, page=page, now=clock.now(),
                   last_page=request.args.get("last") == "1")
    form = ReplyForm()
    if not view.board.anonymous:
        del form.anonymous
    quote_id = request.args.get("quote", None, type=int)
    if quote_id:
        try:
            post_id, text = services.quote_text(viewer, services.get_post(quote_id))
        except NotFound:
            pass
        else:
            form.quote_of.data, form.body.data = str(post_id), text
    return render_template("community/thread.html", view=view, form=form,
                           flag_form=FlagForm(), confirm_form=ConfirmForm(),
                           mention_key=item.board_key)


@bp.route("/threads/<int:thread_id>/reply", methods=["POST"])
@login_required
def reply(thread_id: int):
    item = _or_404(services.get_thread, thread_id)
    if not can_see(_viewer(), item.board_key):  # refused before the form is read
        abort(404)
    form = ReplyForm()
    if form.validate_on_submit():
        quote_of = form.quote_of.data
        try:
            post = services.reply(
                current_user, item, body=form.body.data, anonymous=bool(form.anonymous.data),
                quote_of_id=int(quote_of) if quote_of and quote_of.isdigit()
                and len(quote_of) < 10 else None, now=clock.now())
        except NotFound:
            abort(404)
        except DomainError as err:
            flash(str(err), "error")
        else:
            if post.status == "pending":
                flash("Reply saved: it has many links, so a moderator approves it before "
                      "others see it.", "info")
            return redirect(_thread_url(thread_id, last=1) + f"#post-{post.id}")
    else:
        flash("Write your reply first (at most "
              f"{services.rules.MAX_BODY:,} characters).", "error")
    return redirect(_thread_url(thread_id, last=1) + "#reply")


def _post_action(post_id: int, action):
    """Run a one-button action on a post and go back to it."""
    post = _or_404(services.get_post, post_id)
    if ConfirmForm().validate_on_submit():
        try:
            message = action(post)
        except NotFound:
            abort(404)
        except DomainError as err:
            flash(str(err), "error")
        else:
            if message:
                flash(message, "success")
    return redirect(_thread_url(post.thread_id, page=request.form.get("page", type=int))
                    + f"#post-{post.id}")


@bp.route("/posts/<int:post_id>/like", methods=["POST"])
@login_required
def like(post_id: int):
    return _post_action(post_id, lambda p: None if services.toggle_like(
        current_user, p, clock.now()) else None)


@bp.route("/posts/<int:post_id>/endorse", methods=["POST"])
@login_required
def endorse(post_id: int):
    return _post_action(post_id, lambda p: "Answer endorsed." if services.endorse(
        current_user, p, clock.now()) else "Endorsement withdrawn.")


@bp.route("/posts/<int:post_id>/accept", methods=["POST"])
@login_required
def accept(post_id: int):
    return _post_action(post_id, lambda p: "Marked as the accepted answer." if services.accept(
        current_user, p, clock.now()) else "No longer the accepted answer.")


@bp.route("/posts/<int:post_id>/delete", methods=["POST"])
@login_required
def delete(post_id: int):
    def do(post) -> str:
        services.delete_post(current_user, post, clock.now())
        return "Post deleted."

    return _post_action(post_id, do)


@bp.route("/threads/<int:thread_id>/<action>",
          methods=["POST"])
@login_required
def thread_action(thread_id: int, action: str):
    if action not in ("pin", "unpin", "lock", "unlock", "follow", "unfollow"):
        abort(404)
    item = _or_404(services.get_thread, thread_id)
    if ConfirmForm().validate_on_submit():
        try:
            if action in ("follow", "unfollow"):
                services.follow_thread(current_user, item, action == "follow", clock.now())
            else:
                services.set_thread_flag(current_user, item, action.removeprefix("un"),
                                         not action.startswith("un"), clock.now())
        except NotFound:
            abort(404)
        except DomainError as err:
            flash(str(err), "error")
        else:
            flash({"pin": "Thread pinned.", "unpin": "Thread unpinned.",
                   "lock": "Thread locked.", "unlock": "Thread unlocked.",
                   "follow": "You follow this thread.",
                   "unfollow": "You no longer follow this thread."}[action], "success")
    return redirect(_thread_url(thread_id))


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int):
    post = _or_404(services.get_post, post_id)
    viewer = _viewer()
    if not can_see(viewer, post.thread.board_key) or post.author_id != current_user.id:
        abort(404)
    form = EditForm(obj=post)
    if form.validate_on_submit():
        try:
            services.edit_post(current_user, post, body=form.body.data, now=clock.now())
        except NotFound:
            abort(404)
        except DomainError as err:
            form.body.errors = [*form.body.errors, str(err)]
        else:
            flash("Post saved.", "success")
            return redirect(_thread_url(post.thread_id) + f"#post-{post.id}")
    return render_template("community/edit.html", post=post, form=form,
                           mention_key=post.thread.board_key), 400 if form.errors else 200


@bp.route("/posts/<int:post_id>/history")
@login_required
def history(post_id: int):
    post = _or_404(services.get_post, post_id)
    revisions = _or_404(services.post_history, _viewer(), post)
    return render_template("community/history.html", post=post, revisions=revisions)


@bp.route("/posts/<int:post_id>/flag", methods=["GET", "POST"])
@login_required
def flag(post_id: int):
    post = _or_404(services.get_post, post_id)
    viewer = _viewer()
    if not can_see(viewer, post.thread.board_key):
        abort(404)
    form = FlagForm()
    if form.validate_on_submit():
        try:
            services.flag(current_user, post, form.reason.data, clock.now())
        except NotFound:
            abort(404)
        except DomainError as err:
            form.reason.errors = [*form.reason.errors, str(err)]
        else:
            flash("Thank you: the moderators will look at this post.", "success")
            return redirect(_thread_url(post.thread_id) + f"#post-{post.id}")
    return render_template("community/flag.html", post=post, form=form), \
        400 if form.errors else 200


@bp.route("/mentions")
@login_required
def mentions():
    """Who can be @mentioned on a board: only members who can see it (JSON)."""
    key = request.args.get("board", "")
    try:
        found = services.mention_suggestions(_viewer(), key, request.args.get("q", ""))
    except NotFound:
        return jsonify({"error": "No such board."}), 404
    return jsonify({"members": found})


@bp.route("/search")
@login_required
def search():
    query = request.args.get("q", "")[:200]
    hits, info = search_service.search(_viewer(), query,
                                       page=request.args.get("page", 1, type=int))
    titles = services._board_titles({h.board_key for h in hits})  # noqa: SLF001
    return render_template("community/search.html", query=query, hits=hits,
                           pagination=info, titles=titles, capped=search_service.capped(info),
                           searched=bool(search_service.terms(query)))


# --- moderation ----------------------------------------------------------------------------

@bp.route("/moderation")
@login_required
def queue():
    try:
        entries, info = services.moderation_queue(_viewer(),
                                                  request.args.get("page", 1, type=int))
    except PermissionDenied:
        abort(403)
    return render_template("community/queue.html", entries=entries, pagination=info,
                           form=ModerateForm(), warn_form=WarnForm(),
                           suspend_form=SuspendForm())


@bp.route("/moderation/log")
@login_required
def log():
    try:
        rows, info = services.moderation_log(_viewer(), request.args.get("page", 1, type=int))
    except PermissionDenied:
        abort(403)
    return render_template("community/log.html", rows=rows, pagination=info)


def _moderated_post(post_id: int):
    """The post, for its board's moderators only: anyone else gets 404 before the form is read
    (a refusal must not depend on what was typed)."""
    post = _or_404(services.get_post, post_id)
    if not can_moderate(_viewer(), post.thread.board_key):
        abort(404)
    return post


@bp.route("/moderation/posts/<int:post_id>/<action>",
          methods=["POST"])
@login_required
def moderate(post_id: int, action: str):
    if action not in ("hide", "restore", "approve", "dismiss"):
        abort(404)
    post = _moderated_post(post_id)
    form = ModerateForm()
    if form.validate_on_submit():
        try:
            services.moderate(current_user, post, action, form.note.data or "", clock.now())
        except NotFound:
            abort(404)
        except DomainError as err:
            flash(str(err), "error")
        else:
            flash({"hide": "Post hidden.", "restore": "Post restored.",
                   "approve": "Post approved.", "dismiss": "Flags dismissed."}[action],
                  "success")
    return redirect(request.form.get("next") == "thread" and
                    _thread_url(post.thread_id) + f"#post-{post.id}"
                    or url_for("community.queue"))


@bp.route("/moderation/posts/<int:post_id>/warn", methods=["POST"])
@login_required
def warn(post_id: int):
    post = _moderated_post(post_id)
    form = WarnForm()
    if form.validate_on_submit():
        try:
            services.warn(current_user, post, form.message.data, clock.now())
        except NotFound:
            abort(404)
        except DomainError as err:
            flash(str(err), "error")
        else:
            flash("Warning sent to the author.", "success")
    else:
        flash("Write the message the author will receive.", "error")
    return redirect(url_for("community.queue"))


@bp.route("/moderation/posts/<int:post_id>/suspend", methods=["POST"])
@login_required
def suspend(post_id: int):
    post = _moderated_post(post_id)
    form = SuspendForm()
    if form.validate_on_submit():
        try:
            row = services.suspend(current_user, post, form.days.data, form.reason.data or "",
                                   clock.now())
        except NotFound:
            abort(404)
        except DomainError as err:
            flash(str(err), "error")
        else:
            flash(f"The author may not post until {row.until:%d %b %Y}.", "success")
    else:
        flash("Suspend for 1 to 365 days.", "error")
    return redirect(url_for("community.queue"))


# --- participation -------------------------------------------------------------------------

def _stats(kind: str, ref: str):
    try:
        return services.board_stats(_viewer(), f"{kind}:{ref}", clock.now())
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)


@bp.route("/<kind>/<ref>/participation")
@login_required
def stats(kind: str, ref: str):
    data = _stats(kind, ref)
    peak = max([t + r for _w, t, r in data.weeks] + [1])
    return render_template("community/stats.html", stats=data, peak=peak)


@bp.route("/<kind>/<ref>/participation.csv")
@login_required
def stats_csv(kind: str, ref: str):
    data = _stats(kind, ref)
    out = io.StringIO()
    writer = csv.writer(out)
    for row in services.stats_csv_rows(data):
        writer.writerow([safe_cell(v) for v in row])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="participation-{kind}-{ref}.csv"'})
