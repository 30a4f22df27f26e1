// genre_tags.mjs: the page's backbone genre tags and "outside the N genres" verdict against `genrescope classify`:
// a linear genre head trained on YAMNet here (its tags a second output) and an imported YAMNet (its tags its own
// output), whose cards get an outside rule (AudioSet tags of the model's genres inside, other genres outside),
// judge one clip outside and others not, exactly as the rule says on the CLI's segment scores; the top tags and
// scores match the CLI's; a card without the rule never says outside, a broken rule is refused; the default
// model (no tags) reports `uncertain` as the CLI does; the model panel's plain words; the live path's running tag
// verdict; the feature views of a YAMNet-based model are drawn.
// usage: tools/node tests/browser/genre_tags.mjs DIST_DIR SHARED_DIR GENRESCOPE WORK_DIR
//   WORK_DIR: made afresh: the imported model, the rule card, and the screenshots (verdict-*.png, model-panel.png)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { check, classify_in_page, decode_png, image_stats, open_app, run_test, settle, wait_state } from './lib.mjs';

const k_score_tolerance = 1e-3;
// A rule as a GTZAN model's card would have it: AudioSet genre tags meaning one of the ten genres, and tags of
// genres GTZAN does not have. Judged on the imported YAMNet's own scores, the rock clip sounds more like Ska than
// any of the ten (measured: Ska 0.049 against 0.044), the disco clip is just inside (Disco 0.047, Ska 0.044).
const k_inside = ['Blues', 'Classical music', 'Country', 'Disco', 'Hip hop music', 'Jazz', 'Heavy metal', 'Pop music',
                  'Reggae', 'Rock music'];
const k_outside = ['Electronic music', 'House music', 'Techno', 'Dubstep', 'Drum and bass', 'Electronica',
                   'Electronic dance music', 'Ambient music', 'Trance music', 'Salsa music', 'Flamenco', 'Afrobeat',
                   'Carnatic music', 'Music of Bollywood', 'Ska'];
const k_outside_min_score = 0.03;
const k_clips = ['rock.00005-10s-16s.wav', 'disco.00005-10s-16s.wav', 'classical.00005-10s-16s.wav'];
const k_min_margin = 1e-4;  // the rule's comparisons must not hinge on rounding (the page agrees to ~1e-6)

// The rule of shared/include/genrescope/genre_tags.h, written again here as the test's oracle.
function judge(means, rule) {
    let best_inside = 0;
    for (const i of rule.inside) best_inside = Math.max(best_inside, means[i]);
    let best_outside = 0, sounds_like = -1;
    for (const i of rule.outside) if (means[i] > best_outside) { best_outside = means[i]; sounds_like = i; }
    const outside = sounds_like >= 0 && best_outside >= rule.outside_min_score && best_outside > best_inside;
    const margin = Math.min(Math.abs(best_outside - best_inside), Math.abs(best_outside - rule.outside_min_score));
    return { outside, sounds_like, best_inside, best_outside, margin };
}

function segment_means(native, n) {
    const means = new Array(n).fill(0);
    for (const s of native.segments) for (let k = 0; k < n; ++k) means[k] += s.probabilities[k];
    return means.map((m) => m / native.segments.length);
}

// Pixels of the outside verdict's orange (ImGui k_outside_colour 255/179/77, drawn as about 215/152/67 by the
// scaled font) in a PNG; the darker orange of outside tags' bars and the genre colours do not count.
function outside_coloured_pixels(png) {
    const { width, height, channels, pixels } = decode_png(png);
    let n = 0;
    for (let i = 0; i < width * height; ++i) {
        const r = pixels[i * channels], g = pixels[i * channels + 1], b = pixels[i * channels + 2];
        if (r >= 200 && g >= 0.65 * r && g <= 0.76 * r && b >= 0.25 * r && b <= 0.36 * r) ++n;
    }
    return n;
}

async function load_model(page, dir) {
    const onnx = fs.readFileSync(path.join(dir, 'model.onnx')).toString('base64');
    const card = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    return page.evaluate(async ({ onnx, card }) => {
        const bytes = Uint8Array.from(atob(onnx), (ch) => ch.charCodeAt(0));
        try { await window.genrescope.loadModel(new Blob([bytes]), card); return 'loaded'; }
        catch (e) { return e instanceof Error ? e.message : String(e); }
    }, { onnx, card });
}

function classify_native(cli, onnx, files) {
    return JSON.parse(execFileSync(cli, ['classify', '--model', onnx, '--json', ...files],
                                   { encoding: 'utf8', maxBuffer: 256 << 20 }));
}

// Trains a linear genre head on YAMNet (frozen) on six shared clips in three folders: a model like the new default
// ones (probabilities + the backbone's 521 scores as a second output, 'backbone_scores'), in seconds.
function train_head_model(cli, shared_dir, work) {
    const data = path.join(work, 'head_data');
    const clips = { rock: ['rock.00005-10s-16s.wav', 'metal.00005-10s-16s.wav'],
                    classical: ['classical.00005-10s-16s.wav', 'classical.00005-8s.flac'],
                    jazz: ['jazz.00005-10s-16s.wav', 'jazz.00005-8s.mp3'] };
    for (const [label, files] of Object.entries(clips)) {
        fs.mkdirSync(path.join(data, label), { recursive: true });
        for (const f of files) fs.symlinkSync(path.join(shared_dir, 'clips', f), path.join(data, label, f));
    }
    const run = path.join(work, 'head');
    execFileSync(cli, ['train', '--data', data, '--split', 'none', '--backbone', 'yamnet', '--pretrained-dir',
                       path.join(shared_dir, 'pretrained'), '--head', 'linear', '--epochs', '10', '--threads', '2',
                       '--cache-dir', path.join(work, 'cache'), '--run-dir', run], { stdio: ['ignore', 'ignore', 'pipe'] });
    return run;
}

// A copy of the model in `dir` with `rule` added to its card's tags, in out_dir.
function with_rule(dir, out_dir, rule) {
    const card = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    fs.mkdirSync(out_dir, { recursive: true });
    fs.copyFileSync(path.join(dir, 'model.onnx'), path.join(out_dir, 'model.onnx'));
    fs.writeFileSync(path.join(out_dir, 'model.json'), JSON.stringify({ ...card, tags: { ...card.tags, ...rule } }));
    return card;
}

function about_of(st) {
    return Object.fromEntries(st.model.about.map((s) => [s.title, s.lines.join('\n')]));
}

async function panel_shot(page, file) {
    await settle(page, 5);
    return page.screenshot({ path: file, clip: { x: 0, y: 0, width: 440, height: 1000 } });
}

// The page's result for `clip` against the CLI's (`native`) and the rule's verdict (`e`); returns the result.
async function compare_clip(page, name, clip, native, e, tag_labels, n_genres_words, shot_dir) {
    const r = await classify_in_page(page, clip);
    if (!check(`${name}: classified`, !r.error, r.error)) return r;
    const names = r.tags.map((t) => t.name), native_names = native.tags.map((t) => t.name);
    let dmax = 0;
    for (let k = 0; k < Math.min(r.tags.length, native.tags.length); ++k)
        dmax = Math.max(dmax, Math.abs(r.tags[k].score - native.tags[k].score));
    check(`${name}: top tags and scores as the CLI (<= ${k_score_tolerance})`,
          JSON.stringify(names) === JSON.stringify(native_names) && dmax <= k_score_tolerance,
          `page ${names.join(', ')}; max |d score| ${dmax.toExponential(2)}`);
    const sounds_like = e.outside ? tag_labels[e.sounds_like] : undefined;
    check(`${name}: outside ${e.outside} as the rule says${'outside' in native ? ' and as the CLI says' : ''}, uncertain as the CLI`,
          r.outside === e.outside && r.sounds_like === sounds_like && (!('outside' in native) || native.outside === r.outside) &&
          r.uncertain === native.uncertain, `outside ${r.outside}, sounds like ${r.sounds_like}, uncertain ${r.uncertain}`);
    const st = await page.evaluate(() => window.genrescope.state());
    const want = `outside the ${n_genres_words} genres: sounds like ${sounds_like}`;
    check(`${name}: the verdict line`, e.outside ? st.verdict === want : !/^outside/.test(st.verdict) && st.verdict !== '', st.verdict);
    if (shot_dir) {
        await settle(page, 8);
        const shot = path.join(shot_dir, `verdict-${e.outside ? 'outside' : 'inside'}-${path.basename(clip).split('.')[0]}.png`);
        const png = await page.screenshot({ path: shot, clip: { x: 0, y: 0, width: 440, height: 480 } });
        const stats = image_stats(png), orange = outside_coloured_pixels(png);
        check(`${name}: screenshot of the verdict is not blank, the outside colour ${e.outside ? 'shown' : 'absent'}`,
              stats.stddev > 10 && (e.outside ? orange > 150 : orange < 20),
              `stddev ${stats.stddev.toFixed(1)}, ${orange} outside-coloured pixels, ${shot}`);
    }
    return r;
}

async function main() {
    const [dist_dir, shared_dir, cli, work] = process.argv.slice(2);
    if (!work) {
        console.error('usage: tools/node tests/browser/genre_tags.mjs DIST_DIR SHARED_DIR GENRESCOPE WORK_DIR');
        return 2;
    }
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(work, { recursive: true });
    const plain_dir = path.join(work, 'yamnet');
    execFileSync(cli, ['import', 'yamnet', path.join(shared_dir, 'pretrained/yamnet/yamnet_waveform_in.tflite'),
                       '--out', plain_dir], { stdio: 'inherit' });
    const card = JSON.parse(fs.readFileSync(path.join(plain_dir, 'model.json'), 'utf8'));
    const tag_labels = card.tags.labels;
    const index_of = (name) => {
        const i = tag_labels.indexOf(name);
        if (i < 0) throw new Error(`no tag '${name}' in the imported card`);
        return i;
    };
    const rule = { inside: k_inside.map(index_of), outside: k_outside.map(index_of), outside_min_score: k_outside_min_score };
    const rule_dir = path.join(work, 'yamnet_rule');
    with_rule(plain_dir, rule_dir, rule);
    const head_dir = train_head_model(cli, shared_dir, work);
    const head_rule = { ...rule, inside: ['Rock music', 'Heavy metal', 'Classical music', 'Jazz'].map(index_of) };
    const head_rule_dir = path.join(work, 'head_rule');
    const head_card = with_rule(head_dir, head_rule_dir, head_rule);

    // The CLI on the same files. The imported card's tag output is its own output, judged per segment, so the
    // CLI's segment probabilities are the tag scores whose means the rule judges (the oracle's input). The head
    // model's tags come from the same backbone: its CLI tags must equal the imported model's.
    check('imported card: the tags are the model output; the head model has them as a second output',
          card.tags.output === card.io.output_name && head_card.tags.output !== head_card.io.output_name,
          `${card.tags.output}, ${head_card.tags.output}`);
    const clips = k_clips.map((f) => path.join(shared_dir, 'clips', f));
    const native = classify_native(cli, path.join(rule_dir, 'model.onnx'), clips);
    const native_head = classify_native(cli, path.join(head_rule_dir, 'model.onnx'), clips);
    const means = native.map((r) => segment_means(r, tag_labels.length));
    const expected = means.map((m) => judge(m, rule));
    const expected_head = means.map((m) => judge(m, head_rule));
    for (let i = 0; i < clips.length; ++i)
        console.log(`  ${k_clips[i]}: CLI tags ${native[i].tags.map((t) => `${t.name} ${t.score}`).join(', ')}; rule: ` +
                    `outside ${expected[i].outside} (best outside ${expected[i].best_outside.toFixed(4)} ` +
                    `${tag_labels[expected[i].sounds_like]}, best inside ${expected[i].best_inside.toFixed(4)}); head ` +
                    `model's rule: outside ${expected_head[i].outside} (best inside ${expected_head[i].best_inside.toFixed(4)})`);
    check('the rules judge one clip outside and another inside, not by a hair (the premise of this test)',
          [expected, expected_head].every((ex) => ex.some((e) => e.outside) && ex.some((e) => !e.outside) &&
                                                  ex.every((e) => e.margin > k_min_margin)),
          [...expected, ...expected_head].map((e) => `${e.outside} by ${e.margin.toFixed(4)}`).join(', '));
    let same = true;
    for (let i = 0; i < clips.length; ++i)
        same = same && native_head[i].tags.every((t, k) => t.name === native[i].tags[k].name &&
                                                           Math.abs(t.score - native[i].tags[k].score) <= 1e-4);
    check('the head model\'s CLI tags are the imported YAMNet\'s (same backbone)', same);
    const default_card = JSON.parse(fs.readFileSync(path.join(dist_dir, 'models', 'default.json'), 'utf8'));
    const native_default = classify_native(cli, path.join(dist_dir, 'models', 'default.onnx'), [clips[0]]);

    const app = await open_app({ dist_dir, viewport: { width: 1280, height: 1000 } });
    const { page } = app;
    try {
        check('app ready', app.ready === 'ready', app.ready);
        if (app.ready !== 'ready') return 1;

        // 1. The default model's panel in plain words (its outside rule mentioned exactly when its card has one).
        let st = await page.evaluate(() => window.genrescope.state());
        let about = about_of(st);
        const default_rule = !!(default_card.tags && default_card.tags.outside);
        check('default model panel: what it is, what it learned from, how accurate, limits',
              ['What it is', 'What it learned from', 'How accurate it is', 'Its limits'].every((t) => about[t]) &&
              /Protocol A/.test(about['How accurate it is']) && /right on held-out test tracks: \d+\.\d%/.test(about['How accurate it is']) &&
              /Knows ten genres: blues, classical/.test(about['Its limits']) && /outside/.test(about['Its limits']) === default_rule &&
              new RegExp(`${default_card.training.tracks_train} tracks to learn from`).test(about['What it learned from']) &&
              !!st.model.tags === !!default_card.tags,
              JSON.stringify(about).slice(0, 1500));
        await panel_shot(page, path.join(work, 'model-panel-default.png'));

        // 2. A genre head on YAMNet with a rule: the panel names the backbone; outside verdicts, tags as the CLI.
        check('Load model takes the head model with tags and a rule', (await load_model(page, head_rule_dir)) === 'loaded');
        st = await page.evaluate(() => window.genrescope.state());
        about = about_of(st);
        check('head model panel: the backbone, its source and licence, the outside rule',
              /linear genre head on top of yamnet/.test(about['What it is']) && /Apache-2.0/.test(about['What it is']) &&
              /Knows three genres: classical, jazz, rock/.test(about['Its limits']) &&
              /outside the three genres/.test(about['Its limits']) && st.model.tags && st.model.tags.rule === true &&
              st.model.tags.output === 'backbone_scores', JSON.stringify(st.model.about).slice(0, 200));
        await panel_shot(page, path.join(work, 'model-panel-head.png'));
        for (let i = 0; i < clips.length; ++i)
            await compare_clip(page, `head model, ${k_clips[i]}`, clips[i], native_head[i], expected_head[i], tag_labels, 'three', work);
        // YAMNet's front end frames as TensorFlow does: the log-mel view shows the model's own input and the MFCC
        // view is computed with librosa's framing (both were blank for such models).
        for (const [mode, name] of [[0, 'log-mel'], [1, 'MFCC']]) {
            await page.evaluate((mode) => Module._gs_set_view(mode), mode);
            await settle(page, 8);
            const view = image_stats(await page.screenshot({ clip: { x: 440, y: 90, width: 820, height: 560 } }));
            check(`head model: the ${name} view is drawn`, view.colourful_fraction > 0.5,
                  `${(100 * view.colourful_fraction).toFixed(0)}% coloured`);
        }
        await page.evaluate(() => Module._gs_set_view(0));

        // 3. The imported YAMNet with the rule (521 labels, the tags are its own output).
        check('Load model takes the imported YAMNet with a rule', (await load_model(page, rule_dir)) === 'loaded');
        st = await page.evaluate(() => window.genrescope.state());
        check('its panel explains the outside rule', st.model.tags.rule === true && st.model.tags.n === tag_labels.length &&
              /outside the 521 genres/.test(about_of(st)['Its limits']));
        for (let i = 0; i < clips.length; ++i)
            await compare_clip(page, `imported, ${k_clips[i]}`, clips[i], native[i], expected[i], tag_labels, '521', null);

        // 4. A card whose rule is broken is refused with the shared parser's reason; the model in use stays.
        const bad_dir = path.join(work, 'yamnet_bad_rule');
        with_rule(plain_dir, bad_dir, { outside: [index_of('Ska')] });  // no outside_min_score
        const refused = await load_model(page, bad_dir);
        st = await page.evaluate(() => window.genrescope.state());
        check('a rule without outside_min_score is refused, the current model kept',
              /tags\.outside needs tags\.outside_min_score/.test(refused) && st.model.tags.rule === true, refused);

        // 5. The card as imported (tags, no rule): never outside, the same tags.
        check('Load model takes the card without a rule', (await load_model(page, plain_dir)) === 'loaded');
        st = await page.evaluate(() => window.genrescope.state());
        const r = await classify_in_page(page, clips[0]);
        check('no rule: outside false, tags as the CLI', !r.error && r.outside === false && st.model.tags.rule === false &&
              JSON.stringify(r.tags.map((t) => t.name)) === JSON.stringify(native[0].tags.map((t) => t.name)),
              r.error || `outside ${r.outside}, tags ${r.tags.map((t) => t.name).join(', ')}`);

        // 6. The default model (no tags): `uncertain` as the CLI, no tags, never outside.
        check('Load model takes the default model back', (await page.evaluate(() =>
            window.genrescope.loadModel('models/default.onnx', 'models/default.json').then(() => 'loaded', (e) => e.message))) === 'loaded');
        const d = await classify_in_page(page, clips[0]);
        const d_top = d.error ? 0 : Math.max(...d.probabilities);
        // With tags in its card, outside and the tag names as the CLI; without, neither field (as the CLI).
        const n0 = native_default[0];
        const same_tags = default_card.tags
            ? d.outside === n0.outside && JSON.stringify((d.tags || []).map((t) => t.name)) === JSON.stringify(n0.tags.map((t) => t.name))
            : !('outside' in d) && !('tags' in d) && !('outside' in n0) && !('tags' in n0);
        check('default model: uncertain, outside and tags as the CLI', !d.error &&
              d.uncertain === n0.uncertain && d.uncertain === (d_top < default_card.uncertain_below) && same_tags,
              d.error || `top ${d.top} ${d_top.toFixed(3)}, uncertain ${d.uncertain} (CLI ${native_default[0].uncertain})`);
        check('no page errors', app.page_errors.length === 0, app.page_errors.slice(0, 3).join(' | '));
    } finally {
        await app.close();
    }

    // 7. Live: the microphone path carries the tags too (a running verdict over the smoothed scores).
    const live = await open_app({ dist_dir, extra_flags: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
                                                          `--use-file-for-fake-audio-capture=${path.resolve(clips[0])}`] });
    try {
        check('Load model (live)', (await load_model(live.page, head_rule_dir)) === 'loaded');
        await live.page.evaluate(() => window.genrescope.startMicrophone());
        const s = await wait_state(live.page, 's.live.active && s.live.updates >= 3', 30000);
        const genre_names = new Set(card.tags.genres.map((i) => tag_labels[i]));
        check('live: five genre tags with scores, a verdict', s.live.tags.length === 5 &&
              s.live.tags.every((t) => genre_names.has(t.name) && t.score >= 0 && t.score <= 1) &&
              typeof s.live.outside === 'boolean' && s.live.verdict !== '',
              `${s.live.updates} updates: ${s.live.verdict}; ${s.live.tags.map((t) => `${t.name} ${t.score.toFixed(3)}`).join(', ')}`);
        await live.page.evaluate(() => window.genrescope.stopMicrophone());
        check('no page errors (live)', live.page_errors.length === 0, live.page_errors.slice(0, 3).join(' | '));
    } finally {
        await live.close();
    }
    return 0;
}

await run_test(main);
