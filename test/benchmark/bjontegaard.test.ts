import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bdPsnr,
  bdQuality,
  bdRate,
  cubicFit,
  needsExtension,
  overlap,
  pchipInterpolant,
  type BdMethod,
  type RdCurve,
} from '../../src/benchmark/bjontegaard.ts';
import { mulberry32 } from '../../src/util/mulberry32.ts';

const METHODS: BdMethod[] = ['pchip', 'cubic'];

/** [rate, quality] pairs to a curve. */
const curve = (pairs: readonly (readonly [number, number])[]): RdCurve => pairs.map(([rate, quality]) => ({ rate, quality }));

/** Asserts |actual − expected| <= tol, with both in the message. */
function near(actual: number | null, expected: number, tol: number, what: string): void {
  assert.ok(actual !== null, `${what}: got null`);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected} ± ${tol}`);
}

/** A random increasing RD curve of n points: rates spread over ~1.5 decades, PSNR concave in log-rate. */
function randomCurve(seed: number, n: number): RdCurve {
  const r = mulberry32(seed);
  const out: { rate: number; quality: number }[] = [];
  let lr = 1 + r();
  for (let i = 0; i < n; i++) {
    lr += 0.1 + 0.3 * r();
    out.push({ rate: 10 ** lr, quality: 20 + 12 * Math.sqrt(lr) + 0.3 * r() });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Published vectors.
// ---------------------------------------------------------------------------------------------

// VCEG-M33's own example data, with the deltas asserted (rounded to 6 decimals) in
// tbr/bjontegaard_cpp, example.cpp ("VCEG-M33 numbers": bdsnr 0.800713, bdbr -13.261773). That
// implementation is the least-squares cubic of VCEG-M33 over the overlap of the two ranges.
const M33_A = curve([[90.33, 27.95], [181.03, 31.17], [332.99, 34.44], [547.79, 38.11]]);
const M33_B = curve([[127.1719, 29.9286], [186.14, 32.4165], [307.2924, 34.7013], [481.5588, 37.4561]]);

// Nine-point curves ("ETRO barb512 numbers") from the same file, tbr/bjontegaard_cpp example.cpp:
// bdsnr 0.072297, bdbr -0.903450 (least-squares cubic on more than 4 points).
const ETRO_A = curve([
  [2.99899, 48.6681], [1.99884, 43.8357], [1.49673, 41.3982], [0.99707, 38.0124], [0.745941, 35.5122],
  [0.596436, 33.8673], [0.495148, 32.6658], [0.29425, 29.4505], [0.244049, 28.484],
]);
const ETRO_B = curve([
  [2.997253, 48.5637], [1.968292, 43.7318], [1.472565, 41.2727], [0.994965, 38.0001], [0.748871, 35.6375],
  [0.58902, 33.9057], [0.499176, 32.8318], [0.296753, 29.6851], [0.249634, 28.8244],
]);

test('cubic (VCEG-M33): the VCEG-M33 example and the ETRO nine-point curves match tbr/bjontegaard_cpp to 6 decimals', () => {
  near(bdQuality(M33_A, M33_B, { method: 'cubic' }).value, 0.800713, 5e-7, 'M33 BD-PSNR');
  near(bdRate(M33_A, M33_B, { method: 'cubic' }).value, -13.261773, 5e-7, 'M33 BD-rate');
  near(bdQuality(ETRO_A, ETRO_B, { method: 'cubic' }).value, 0.072297, 5e-7, 'ETRO BD-PSNR');
  near(bdRate(ETRO_A, ETRO_B, { method: 'cubic' }).value, -0.90345, 5e-7, 'ETRO BD-rate');
});

// JCTVC-E137 curves as published in Netflix/vmaf, python/test/calculate_bd_rate_test.py
// (CalculateBdRateJCTVCTest; also python/test/bd_rate_calculator_test.py): PCHIP BD-rate as a
// fraction, -0.00465215420752807 and -0.018779823450567612. vmaf asserts 4 places; the digits are
// those of the exact PCHIP integral, which we match to 1e-12 (fraction).
test('pchip: the JCTVC-E137 curves match the values published with Netflix/vmaf', () => {
  const a1 = curve([[108048.8736, 43.6471], [61279.976, 40.3953], [33905.6656, 37.247], [18883.6928, 34.2911]]);
  const t1 = curve([[108061.2784, 43.6768], [61299.9936, 40.4232], [33928.7472, 37.2761], [18910.912, 34.3147]]);
  const a2 = curve([[40433.8848, 37.5761], [7622.7456, 35.3756], [2394.488, 33.8977], [1017.6184, 32.0603]]);
  const t2 = curve([[40370.12, 37.5982], [7587.0024, 35.4025], [2390.0944, 33.9194], [1017.0984, 32.0822]]);
  near(bdRate(a1, t1).value! / 100, -0.00465215420752807, 1e-12, 'JCTVC-E137 #1');
  near(bdRate(a2, t2).value! / 100, -0.018779823450567612, 1e-12, 'JCTVC-E137 #2');
  assert.equal(bdRate(a1, t1).method, 'pchip');
});

// Netflix/vmaf's 100-point and 45-point curves (rate, VMAF-like metric), python/test/
// calculate_bd_rate_test.py, set_a and set_b of test_calculate_bd_rate_different.
// prettier-ignore
const VMAF_A = curve([
  [35.99646889759373, 21.955645250419696], [37.99471487409067, 25.51236452853944], [39.970621712367105, 28.044365039171787],
  [42.346972697257975, 30.479270893956333], [44.7457131337437, 32.55129509653048], [47.154365304980416, 34.35170492445439],
  [49.85285605484052, 36.159880512031336], [52.668811762730826, 37.817858687744824], [55.623246648013435, 39.4236739227756],
  [58.709821225517615, 40.97726075825405], [61.95339030218243, 42.47586071628426], [65.39086712367096, 43.94792672076104],
  [69.07053575825405, 45.38187315332959], [72.92296374930051, 46.7512838066592], [77.04220356463348, 48.12043552042529],
  [81.27714736989365, 49.42854125629547], [85.80023587017347, 50.72125632344712], [90.70151323447116, 52.02140726776721],
  [95.61377568550643, 53.247009597090084], [101.18490854504753, 54.54781877448235], [106.70571125909345, 55.77207227895914],
  [112.80107593732511, 57.05675384023505], [118.71002956351424, 58.22286424174595], [125.49624718522664, 59.4644650601567],
  [132.55080280358143, 60.67429805540012], [140.1958864969222, 61.90510035674314], [147.88641993844433, 63.041928063794046],
  [156.33494113598206, 64.22106624930048], [164.76788195858984, 65.33567544767766], [173.94668501398993, 66.48116736149971],
  [184.07738357022944, 67.64570549104643], [194.3000549748181, 68.7236593242865], [205.02014116955786, 69.79909077364297],
  [216.48558646334627, 70.86179997202017], [228.6963740850587, 71.91020905148292], [241.1654202574147, 72.91811104504754],
  [254.97357365976498, 73.96942905008393], [269.34394547845557, 74.9730472439843], [284.15034977056513, 75.93786445159483],
  [300.33591073866813, 76.91376459149411], [317.0971573363177, 77.86057887520982], [334.6360977616115, 78.78165542809175],
  [353.52509696138776, 79.69565129406824], [373.29134338556247, 80.57908869613874], [393.9552307218803, 81.44409020705092],
  [415.95752090095135, 82.30904120733068], [438.74847322327906, 83.13002760212642], [463.7617672915498, 83.97161655008395],
  [490.0063805707889, 84.77690864577501], [516.9553140067148, 85.5381991116396], [544.9439733240066, 86.28044596390599],
  [576.3607511751537, 87.049304036094], [607.7912813486286, 87.75004198377168], [642.9993396698372, 88.46859445998881],
  [678.4288774650249, 89.13938649272522], [716.0146116899828, 89.79232830861778], [757.1422397593731, 90.43804418019025],
  [799.5379996586456, 91.04304998601005], [843.7057127476214, 91.61936168158924], [891.0241835086737, 92.18129753777283],
  [941.0654296082818, 92.7274914871293], [992.0100858869608, 93.22531138080583], [1049.361345377728, 93.72490778539446],
  [1106.0225737101287, 94.16627750419697], [1169.031521835478, 94.61364252937885], [1234.2873478623392, 95.02554775461667],
  [1303.8650088919974, 95.42153838836039], [1377.1698176105203, 95.788557491606], [1453.2463230386118, 96.12595161583663],
  [1532.4943320201453, 96.43917551762732], [1621.3588033296023, 96.747294998601], [1705.825332271964, 97.00223929071069],
  [1807.3925386066035, 97.27276210128707], [1908.5000484107447, 97.50972255875773], [2014.398598975937, 97.72906203133745],
  [2127.9466272691657, 97.92876842473417], [2245.784021667598, 98.10873614297704], [2371.8831237045324, 98.2783919418019],
  [2505.2980083995526, 98.43403286233912], [2644.597092540571, 98.57010871572473], [2790.9417932904316, 98.69238183407946],
  [2948.672410660327, 98.80515458869611], [3107.1893589871306, 98.90337104085056], [3288.155564739787, 98.99696463346388],
  [3470.8710826636825, 99.07321914521543], [3665.2945898880803, 99.14012702853941], [3869.5733634862895, 99.19701270285395],
  [4071.5218731505315, 99.24300500839394], [4311.484267084497, 99.28674711807501], [4558.244802909904, 99.31946469641859],
  [4806.482321382206, 99.34378444320092], [5079.722132064913, 99.36144804141017], [5361.911769636264, 99.37290286793508],
  [5665.047368091774, 99.38022224398433], [5973.631636653609, 99.38404458589815], [6315.611591936206, 99.38606273782877],
  [6667.651857364297, 99.3870162283156], [7037.4516035086735, 99.3875896334639], [7434.023280637938, 99.38792124370454],
]);
// prettier-ignore
const VMAF_B = curve([
  [49.87328328483493, 28.61330510632344], [52.38326659205375, 32.39771999160604], [55.48787012870734, 35.43877945579183],
  [58.73340142697256, 37.81863505176273], [61.38781766088415, 39.45287702853945], [65.24973810856183, 41.51289594991606],
  [68.91803592053719, 43.25002306939003], [72.90461613878006, 44.95657251678791], [76.50681894795746, 46.343293172915494],
  [81.22743775601566, 48.06086461947399], [85.8963679574706, 49.55961627728036], [90.6221019585898, 50.90070572887522],
  [95.65390898712923, 52.23381047146056], [101.13434360380525, 53.61339359960829], [106.40240546726353, 54.8475233841634],
  [112.42335666480132, 56.18486674594291], [118.79365039171795, 57.459968270844996], [125.05231551203133, 58.63419768466705],
  [132.43335461667598, 59.89586900531618], [139.88996440962507, 61.0835185996083], [146.16949280917734, 62.04168247761612],
  [155.7417632232793, 63.3899363878008], [163.313640956911, 64.36612914101849], [173.5439432232792, 65.58913973139342],
  [182.53828067711245, 66.58945198656969], [193.15859545047564, 67.70600593172915], [204.38533732512593, 68.81500302182431],
  [215.95536735310577, 69.90734120033578], [227.63617066032455, 70.90756786513711], [241.31498514829323, 71.9597451385003],
  [253.7268753273643, 72.82036908925575], [267.2595965472859, 73.70446921516509], [283.9250800223839, 74.66681882344713],
  [294.27475915500827, 75.23454667039732], [316.458982495803, 76.38518377867935], [334.1048723838837, 77.20506813094572],
  [352.4061945998881, 77.96106693480695], [369.71439789031893, 78.57269429910465], [388.71730656966986, 79.09373393956353],
  [416.22584212646893, 79.73839594292109], [431.8296127756015, 80.04573062395076], [456.8111591046446, 80.4380911723559],
  [489.9550944711808, 80.81746619334079], [505.8411566927812, 80.9060061345831], [531.839469233352, 81.04617807078903],
]);

test('pchip: long curves match Netflix/vmaf, both its exact integral and its sampled trapezoid', () => {
  // Exact PCHIP integral: python/test/bd_rate_calculator_test.py (BDrateCalculator, "validated
  // against JCTVC-E137"), test_bd_rate_calculator_different: 0.08267113720900943, asserted to 8 places.
  near(bdRate(VMAF_A, VMAF_B).value! / 100, 0.08267113720900943, 1e-12, 'exact integral');

  // python/vmaf/tools/bd_rate.py (calculate_bd_rate) instead samples the PCHIP at 100 points of the
  // overlap and integrates by the trapezoid rule; python/test/calculate_bd_rate_test.py publishes
  // 0.0828609163164793 for these curves, and 0.38396884941389553, 0.03800171560649668 and
  // 0.23201845983320446 for the pointwise ratio at 100 %, 50 % and 0 % of the overlap (8 places).
  // Redoing that procedure with our interpolant reproduces them.
  const sorted = (c: RdCurve) => [...c].sort((p, q) => p.quality - q.quality);
  const fit = (c: RdCurve) => pchipInterpolant(sorted(c).map((p) => p.quality), sorted(c).map((p) => Math.log10(p.rate)));
  const fa = fit(VMAF_A);
  const fb = fit(VMAF_B);
  const lo = Math.max(fa.domain[0], fb.domain[0]);
  const hi = Math.min(fa.domain[1], fb.domain[1]);
  const step = (hi - lo) / 99;
  let ia = 0;
  let ib = 0;
  for (let i = 0; i < 100; i++) {
    const x = i === 99 ? hi : lo + i * step;
    const w = i === 0 || i === 99 ? step / 2 : step;
    ia += w * fa.at(x);
    ib += w * fb.at(x);
  }
  near(10 ** ((ib - ia) / (hi - lo)) - 1, 0.0828609163164793, 5e-9, 'sampled trapezoid');
  const atPercent = (p: number): number => {
    const x = lo + ((hi - lo) * p) / 100;
    return 10 ** (fb.at(x) - fa.at(x)) - 1;
  };
  near(atPercent(100), 0.38396884941389553, 5e-9, 'at 100 %');
  near(atPercent(50), 0.03800171560649668, 5e-9, 'at 50 %');
  near(atPercent(0), 0.23201845983320446, 5e-9, 'at 0 %');
});

// UWIVC/randd, test/model/test_pchip.py: LogPCHIP (SciPy PchipInterpolator of PSNR over log10 rate)
// through rates 100, 300, 1200, 4000 with PSNR 26.6, 34.71, 44.36, 48.77, evaluated at
// 10^linspace(2, log10 4500, 6) = 26.6, 32.26732798, 37.90293207, 43.28930106, 46.80303567 (8
// decimals); the sixth point (4500) lies outside the data and is extrapolated there, which we refuse.
test('pchip: the interpolant matches UWIVC/randd to 8 decimals and refuses to extrapolate', () => {
  const f = pchipInterpolant([100, 300, 1200, 4000].map(Math.log10), [26.6, 34.71, 44.36, 48.77]);
  const expected = [26.6, 32.26732798, 37.90293207, 43.28930106, 46.80303567];
  const step = (Math.log10(4500) - 2) / 5;
  expected.forEach((q, i) => near(f.at(2 + i * step), q, 5e-9, `randd point ${i}`));
  assert.throws(() => f.at(Math.log10(4500)), RangeError);
  assert.throws(() => f.integral(2, Math.log10(4500)), RangeError);
});

// Not published: the FAU-LMS/bjontegaard README example (libx265 presets) has no printed result, so
// the PCHIP values were computed locally with SciPy 1.17.1 exactly as that package does
// (PchipInterpolator(...).integrate over the overlap, log10 rates). They pin BD-PSNR under PCHIP, for
// which no published value was found. The cubic values are the exact rational-arithmetic integrals
// of the interpolating cubics (Python fractions on the same float inputs); numpy.polyfit on the raw,
// uncentred abscissae gives -4.42046270609566 % and 0.120409419114966 dB, 7e-11 and 1e-13 off,
// because its Vandermonde matrix in x ≈ 35..40 dB is badly conditioned.
test('cross-check (SciPy, FAU-LMS algorithm): the FAU-LMS README example', () => {
  const a = curve([[9487.76, 40.037], [4593.6, 38.615], [2486.44, 36.845], [1358.24, 34.851]]);
  const t = curve([[9787.8, 40.121], [4469.0, 38.651], [2451.52, 36.97], [1356.24, 34.987]]);
  near(bdRate(a, t).value, -4.41748535058905, 1e-11, 'pchip BD-rate');
  near(bdPsnr(a, t).value, 0.119692785424795, 1e-12, 'pchip BD-PSNR');
  near(bdRate(a, t, { method: 'cubic' }).value, -4.420462706168404, 1e-12, 'cubic BD-rate');
  near(bdPsnr(a, t, { method: 'cubic' }).value, 0.12040941911488888, 1e-12, 'cubic BD-PSNR');
});

test('pchip: SciPy end condition on non-monotone data (slope clamped to 3δ0) and its integral (SciPy cross-check)', () => {
  // SciPy 1.17.1 PchipInterpolator on x = [0, 1, 2, 3.5], y = [0, 0.1, -0.9, -0.2]: derivative at the
  // knots [0.3, 0, 0, 1.3466666666666665]; integral over [0.3, 3.1] = -1.2429875370370371; value at
  // 2.7 = -0.8195674074074074.
  const f = pchipInterpolant([0, 1, 2, 3.5], [0, 0.1, -0.9, -0.2]);
  [0.3, 0, 0, 1.3466666666666665].forEach((d, i) => near(f.slopes[i], d, 1e-14, `slope ${i}`));
  near(f.integral(0.3, 3.1), -1.2429875370370371, 1e-14, 'integral');
  near(f.at(2.7), -0.8195674074074074, 1e-14, 'value');
});

// ---------------------------------------------------------------------------------------------
// Properties.
// ---------------------------------------------------------------------------------------------

test('identical curves give exactly 0 for both deltas and both methods', () => {
  for (const method of METHODS) {
    for (const c of [M33_A, ETRO_A, randomCurve(1, 7)]) {
      assert.equal(bdRate(c, c, { method }).value, 0);
      assert.equal(bdQuality(c, c, { method }).value, 0);
    }
  }
});

test('scaling every test rate by k gives BD-rate (k − 1)·100 % to 1e-9, both methods', () => {
  for (const method of METHODS) {
    for (const [seed, k] of [[2, 0.5], [3, 0.9], [4, 1.1], [5, 2], [6, 0.37]] as const) {
      const a = randomCurve(seed, 6);
      const t = a.map((p) => ({ rate: p.rate * k, quality: p.quality }));
      const r = bdRate(a, t, { method });
      near(r.value, (k - 1) * 100, 1e-9, `${method} k=${k}`);
      assert.deepEqual(r.coverage, { anchor: 1, test: 1 });
    }
  }
});

test('adding d dB to every test quality gives BD-quality d, both methods', () => {
  for (const method of METHODS) {
    for (const [seed, d] of [[7, 0.25], [8, -1.5], [9, 3]] as const) {
      const a = randomCurve(seed, 5);
      const t = a.map((p) => ({ rate: p.rate, quality: p.quality + d }));
      near(bdQuality(a, t, { method }).value, d, 1e-11, `${method} d=${d}`);
    }
  }
});

test('swapping anchor and test inverts the rate ratio, (1 + a)(1 + b) = 1, and negates BD-quality', () => {
  for (const method of METHODS) {
    for (const [a, t] of [[M33_A, M33_B], [ETRO_A, ETRO_B], [randomCurve(10, 6), randomCurve(11, 5)]]) {
      const x = bdRate(a, t, { method }).value!;
      const y = bdRate(t, a, { method }).value!;
      near((1 + x / 100) * (1 + y / 100), 1, 1e-12, `${method} rate ratio`);
      near(bdQuality(a, t, { method }).value! + bdQuality(t, a, { method }).value!, 0, 1e-12, `${method} quality`);
    }
  }
});

test('no overlap gives null with a reason, zero coverage and no interval', () => {
  const a = curve([[100, 30], [200, 32], [400, 34]]);
  const t = curve([[800, 35], [1600, 37], [3200, 39]]);
  for (const fn of [bdRate, bdQuality]) {
    const r = fn(a, t);
    assert.equal(r.value, null);
    assert.equal(r.interval, null);
    assert.deepEqual(r.coverage, { anchor: 0, test: 0 });
    assert.match(r.reason!, /no overlap on the (quality|rate) axis/);
  }
  // Ranges that only touch (one shared value) have zero width: still no overlap.
  const touching = curve([[400, 34], [800, 36]]);
  assert.match(bdRate(a, touching).reason!, /no overlap/);
});

test('pchip preserves monotonicity (no overshoot) where the least-squares cubic does not', () => {
  // A step-like monotone dataset: flat, a jump, flat.
  const x = [0, 1, 2, 3, 4, 5];
  const y = [0, 0, 0.05, 1, 1, 1];
  const p = pchipInterpolant(x, y);
  let prev = -Infinity;
  for (let i = 0; i <= 500; i++) {
    const v = p.at((5 * i) / 500);
    assert.ok(v >= prev - 1e-15, `pchip decreases at x=${(5 * i) / 500}`);
    prev = v;
  }
  for (let k = 0; k < x.length - 1; k++) {
    for (let j = 0; j <= 50; j++) {
      const v = p.at(x[k] + j / 50);
      assert.ok(v >= y[k] - 1e-15 && v <= y[k + 1] + 1e-15, `pchip leaves [y${k}, y${k + 1}] at ${x[k] + j / 50}`);
    }
  }
  const c = cubicFit(x, y);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i <= 500; i++) {
    min = Math.min(min, c.at((5 * i) / 500));
    max = Math.max(max, c.at((5 * i) / 500));
  }
  assert.ok(min < -0.01 || max > 1.01, 'the cubic was expected to overshoot on this step');
  // Random increasing data too: the interpolant never decreases.
  const r = mulberry32(12);
  const xs = [0];
  const ys = [0];
  for (let i = 1; i < 9; i++) {
    xs.push(xs[i - 1] + 0.1 + r());
    ys.push(ys[i - 1] + (r() < 0.3 ? 0 : r() ** 3));
  }
  const q = pchipInterpolant(xs, ys);
  prev = -Infinity;
  for (let i = 0; i <= 2000; i++) {
    const v = q.at(xs[0] + ((xs[8] - xs[0]) * i) / 2000);
    assert.ok(v >= prev - 1e-14);
    prev = v;
  }
});

test('pchip integrals are exact: Simpson on each segment (exact for cubics) agrees, also on partial ranges', () => {
  const xs = [1, 1.7, 2.1, 3.4, 3.5, 5];
  const ys = [2, 2.9, 3.1, 3.15, 3.6, 4];
  const f = pchipInterpolant(xs, ys);
  const simpson = (a: number, b: number) => ((b - a) / 6) * (f.at(a) + 4 * f.at((a + b) / 2) + f.at(b));
  let whole = 0;
  for (let k = 0; k < xs.length - 1; k++) whole += simpson(xs[k], xs[k + 1]);
  near(f.integral(1, 5), whole, 1e-13, 'whole');
  near(f.integral(1.2, 3.45), simpson(1.2, 1.7) + simpson(1.7, 2.1) + simpson(2.1, 3.4) + simpson(3.4, 3.45), 1e-13, 'partial');
  near(f.integral(2.2, 2.3), simpson(2.2, 2.3), 1e-15, 'inside one segment');
  near(f.integral(3.45, 1.2), -f.integral(1.2, 3.45), 0, 'reversed');
  // Knots are interpolated; two points give the straight line.
  xs.forEach((x, i) => near(f.at(x), ys[i], 1e-15, `knot ${i}`));
  const line = pchipInterpolant([0, 2], [1, 5]);
  near(line.at(0.5), 2, 1e-15, 'line');
  near(line.integral(0, 2), 6, 1e-15, 'line integral');
});

test('cubic: 4 points are interpolated exactly; the fit is a least-squares fit otherwise', () => {
  const f = cubicFit([1, 2, 4, 7], [3, -1, 2, 10]);
  [[1, 3], [2, -1], [4, 2], [7, 10]].forEach(([x, y]) => near(f.at(x), y, 1e-12, `x=${x}`));
  // A cubic sampled at 9 points is recovered exactly, and its integral is the analytic one.
  const poly = (x: number) => 0.5 - 2 * x + 0.3 * x * x - 0.01 * x * x * x;
  const xs = [0, 1, 1.5, 3, 4, 6, 7, 8.5, 10];
  const g = cubicFit(xs, xs.map(poly));
  const prim = (x: number) => 0.5 * x - x * x + 0.1 * x ** 3 - 0.0025 * x ** 4;
  near(g.integral(0.5, 9), prim(9) - prim(0.5), 1e-11, 'integral');
  assert.throws(() => g.at(10.5), RangeError);
});

test('point order does not matter, and BD-rate uses the quality overlap, BD-quality the log-rate overlap', () => {
  const shuffled = [M33_B[2], M33_B[0], M33_B[3], M33_B[1]];
  for (const method of METHODS) {
    assert.equal(bdRate(M33_A, shuffled, { method }).value, bdRate(M33_A, M33_B, { method }).value);
  }
  const r = bdRate(M33_A, M33_B);
  assert.deepEqual(r.interval, [29.9286, 37.4561]);
  assert.equal(r.axis, 'quality');
  near(r.coverage!.test, 1, 0, 'test covered');
  near(r.coverage!.anchor, (37.4561 - 29.9286) / (38.11 - 27.95), 1e-15, 'anchor coverage');
  const q = bdQuality(M33_A, M33_B);
  assert.deepEqual(q.interval, [127.1719, 481.5588]);
  assert.equal(q.axis, 'rate');
  near(q.coverage!.anchor, Math.log10(481.5588 / 127.1719) / Math.log10(547.79 / 90.33), 1e-14, 'anchor coverage');
  assert.deepEqual(r.points, { anchor: 4, test: 4 });
  assert.deepEqual(r.notes, []);
});

test('too few points, non-positive rates and non-finite qualities give null with a reason', () => {
  const three = curve([[100, 30], [200, 33], [400, 36]]);
  assert.equal(typeof bdRate(three, three).value, 'number');
  const cubic3 = bdRate(three, three, { method: 'cubic' });
  assert.equal(cubic3.value, null);
  assert.match(cubic3.reason!, /anchor has 3 distinct quality values; method 'cubic' needs at least 4.*test has 3/);
  assert.deepEqual(cubic3.points, { anchor: null, test: null });
  const one = curve([[100, 30]]);
  assert.match(bdQuality(one, three).reason!, /anchor has 1 distinct rate values; method 'pchip' needs at least 2/);
  assert.match(bdRate([], three).reason!, /anchor has 0 distinct/);
  assert.match(bdRate(three, curve([[100, 30], [0, 20]])).reason!, /test\[1\]\.rate is 0; rates must be positive/);
  assert.match(bdRate(three, curve([[100, 30], [-5, 20]])).reason!, /rate is -5/);
  assert.match(bdRate(three, curve([[100, 30], [Infinity, 40]])).reason!, /rate is Infinity/);
  assert.match(bdQuality(curve([[100, Infinity], [200, 33]]), three).reason!, /anchor\[0\]\.quality is Infinity/);
});

test('duplicate abscissae are averaged (documented), with a note; non-monotone curves compute with a note', () => {
  const a = curve([[120, 31], [250, 34], [600, 37], [1200, 40]]);
  // Two test points at the same quality: their log10-rates are averaged into one point.
  const t = curve([[150, 33], [200, 35], [300, 35], [500, 37], [900, 39]]);
  const merged = curve([[150, 33], [Math.sqrt(200 * 300), 35], [500, 37], [900, 39]]);
  const r = bdRate(a, t);
  near(r.value, bdRate(a, merged).value!, 1e-12, 'merged');
  assert.equal(r.points.test, 4);
  assert.match(r.notes.join('\n'), /test: 2 points shared a quality value; their log10-rates were averaged/);
  // Two test points at the same rate: their qualities are averaged for BD-quality.
  const u = curve([[150, 33], [300, 34], [300, 36], [900, 39]]);
  near(bdQuality(a, u).value, bdQuality(a, curve([[150, 33], [300, 35], [900, 39]])).value!, 1e-12, 'merged quality');
  assert.match(bdQuality(a, u).notes.join('\n'), /qualities were averaged/);
  // A dip in quality: still computed (pchip after sorting), flagged.
  const dip = curve([[100, 30], [200, 33], [400, 32.5], [800, 36]]);
  const d = bdRate(a, dip);
  assert.equal(typeof d.value, 'number');
  assert.match(d.notes.join('\n'), /test: not monotone/);
});

test('malformed input throws TypeErrors naming the field', () => {
  const c = randomCurve(14, 4);
  assert.throws(() => bdRate(null as unknown as RdCurve, c), /anchor must be an array of \{ rate, quality \} points \(got null\)/);
  assert.throws(() => bdRate(c, { length: 2 } as unknown as RdCurve), /test must be an array/);
  assert.throws(() => bdRate(c, [c[0], null] as unknown as RdCurve), /test\[1\] must be an object/);
  assert.throws(() => bdRate(c, [{ rate: '5', quality: 30 }] as unknown as RdCurve), /test\[0\]\.rate must be a number, not NaN \(got "5"\)/);
  assert.throws(() => bdQuality([{ rate: 5, quality: NaN }], c), /anchor\[0\]\.quality must be a number, not NaN \(got NaN\)/);
  assert.throws(() => bdRate(c, c, { method: 'akima' as BdMethod }), /opts\.method, when provided, must be 'pchip' or 'cubic' \(got "akima"\)/);
  assert.throws(() => bdRate(c, c, 3 as unknown as object), /opts, when provided, must be an object/);
  assert.throws(() => pchipInterpolant([0, 0, 1], [1, 2, 3]), /strictly increasing/);
  assert.throws(() => cubicFit([0, 1, 2], [1, 2, 3]), /at least 4 points/);
  for (const fn of [bdRate, bdQuality, overlap as never, needsExtension as never]) {
    assert.throws(() => (fn as (a: unknown, b: unknown, o: unknown) => unknown)([{ rate: 1 }], c, 'quality'), TypeError);
  }
});

test('overlap(): ranges, interval and coverage on either axis', () => {
  const a = curve([[100, 30], [1000, 36], [300, 33]]);
  const t = curve([[200, 32], [2000, 38]]);
  const q = overlap(a, t, 'quality');
  assert.deepEqual(q.anchor, [30, 36]);
  assert.deepEqual(q.test, [32, 38]);
  assert.deepEqual(q.interval, [32, 36]);
  near(q.coverage.anchor, 4 / 6, 1e-15, 'anchor');
  near(q.coverage.test, 4 / 6, 1e-15, 'test');
  const r = overlap(a, t, 'rate');
  assert.deepEqual(r.interval, [200, 1000]);
  near(r.coverage.anchor, Math.log10(5) / 1, 1e-15, 'log coverage anchor');
  near(r.coverage.test, Math.log10(5) / 1, 1e-15, 'log coverage test');
  const none = overlap(a, curve([[5000, 40], [9000, 42]]), 'quality');
  assert.equal(none.interval, null);
  assert.deepEqual(none.coverage, { anchor: 0, test: 0 });
  assert.throws(() => overlap([], t, 'quality'), /anchor has no points/);
  assert.throws(() => overlap(curve([[0, 30]]), t, 'rate'), /anchor\[0\]\.rate is 0; it must be finite and positive/);
  assert.throws(() => overlap(a, t, 'bpp' as 'rate'), /axis must be 'quality' or 'rate'/);
});

test('needsExtension(): which side of the anchor quality range must grow (lower CRF = higher quality)', () => {
  const test_ = curve([[100, 31], [200, 34], [400, 37]]);
  assert.equal(needsExtension(curve([[50, 30], [900, 38]]), test_), null);
  assert.equal(needsExtension(curve([[50, 30], [300, 35]]), test_), 'higher');
  assert.equal(needsExtension(curve([[150, 32], [900, 38]]), test_), 'lower');
  assert.equal(needsExtension(curve([[150, 32], [300, 35]]), test_), 'both');
  assert.equal(needsExtension(curve([[50, 31.05], [900, 36.9]]), test_, { tolerance: 0.1 }), null);
  assert.equal(needsExtension(curve([[50, 31.05], [900, 36.9]]), test_), 'both');
  assert.throws(() => needsExtension(test_, test_, { tolerance: -1 }), /opts\.tolerance, when provided, must be a finite number >= 0/);
  // Once extended, BD-rate integrates over all of the test's quality range.
  const extended = curve([[50, 30], [120, 32], [260, 35], [900, 38]]);
  assert.equal(needsExtension(extended, test_), null);
  assert.equal(bdRate(extended, test_).coverage!.test, 1);
});
