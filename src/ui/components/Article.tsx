/**
 * A short guided article under the tool: what a masked autoencoder does and why, in six sections,
 * each linked to its pipeline step and filled in with the numbers of the run on show. Formulas are
 * MathML, which the browser typesets itself (no library, no font download).
 */
import { type MouseEvent, type ReactNode } from 'react';

import { formatMs, formatPsnr } from '../format';
import { STEP_IDS, STEP_TITLES, type StepId } from '../steps';
import { useAppStore } from '../store';

interface Section {
  id: string;
  title: string;
  step: StepId;
}

export const ARTICLE_SECTIONS: readonly Section[] = [
  { id: 'autoencoder', title: 'What an autoencoder is', step: 'patchify' },
  { id: 'why-hide', title: 'Why hide 75 % of the picture?', step: 'mask' },
  { id: 'no-mask-tokens', title: 'Why the encoder never sees a mask token', step: 'visible-tokens' },
  { id: 'decoder', title: 'What the decoder does', step: 'decoder-input' },
  { id: 'norm-pix', title: 'What norm_pix_loss changes', step: 'reconstruction' },
  { id: 'mistakes', title: 'What the model gets wrong, and why', step: 'reconstruction-plus-visible' },
];

/** Opens the pipeline stepper at `step` and moves focus there, so the reader lands on it. */
function StepLink({ step }: { step: StepId }) {
  const setStepperOpen = useAppStore((s) => s.setStepperOpen);
  const setStep = useAppStore((s) => s.setStep);
  const index = STEP_IDS.indexOf(step);
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    event.preventDefault();
    setStepperOpen(true);
    setStep(index);
    requestAnimationFrame(() => {
      const region = document.querySelector<HTMLElement>('[aria-label="Pipeline steps"]');
      region?.scrollIntoView({ block: 'start' });
      region?.focus({ preventScroll: true });
    });
  };
  return (
    <a className="article__step-link" href="#stepper-title" onClick={onClick}>
      Open step {index + 1}, {STEP_TITLES[step]} →
    </a>
  );
}

function ArticleSection({ section, children }: { section: Section; children: ReactNode }) {
  return (
    <section className="article__section" aria-labelledby={`article-${section.id}`}>
      <h3 id={`article-${section.id}`} tabIndex={-1}>
        {section.title}
      </h3>
      {children}
      <StepLink step={section.step} />
    </section>
  );
}

const sub = (base: string, index: string) => (
  <msub>
    <mi>{base}</mi>
    <mi>{index}</mi>
  </msub>
);

function EncoderTimingLine() {
  const timing = useAppStore((s) => s.encoderTiming);
  const busy = useAppStore((s) => s.encoderTimingBusy);
  const time = useAppStore((s) => s.timeEncoder);
  const numPatches = useAppStore((s) => s.config?.numPatches ?? 0);
  const ready = useAppStore((s) => s.modelStatus === 'ready' && s.result !== null);
  return (
    <div className="article__measure">
      <button
        type="button"
        className="button button--small"
        disabled={!ready || busy}
        onClick={() => void time()}
      >
        {busy ? 'Timing the encoder…' : `Time the encoder on all ${numPatches} patches`}
      </button>
      <p role="status">
        {timing
          ? `Measured on this device (median of 3 runs each): ${formatMs(timing.visible.ms)} for the ${timing.visible.tokens} visible patches, ${formatMs(timing.all.ms)} for all ${timing.all.tokens}: the visible-only encoder was ${(timing.all.ms / Math.max(timing.visible.ms, 1e-3)).toFixed(1)}× faster.`
          : 'Press the button to run the encoder on every patch and compare.'}
      </p>
    </div>
  );
}

export function Article() {
  const config = useAppStore((s) => s.config);
  const result = useAppStore((s) => s.result);
  const baseline = useAppStore((s) => (s.baseline?.result === s.result ? s.baseline : null));
  const N = config?.numPatches ?? 196;
  const K = result?.visiblePatches ?? Math.floor(N * 0.25);
  const hiddenPercent = Math.round((100 * (N - K)) / N);
  const P = config?.patchSize ?? 16;
  const S = config?.imageSize ?? 224;
  const layers = config?.encoder.depth ?? 12;
  const decoderLayers = config?.decoder.depth ?? 8;
  const normPix = config?.normPixLoss ?? false;
  const name = config?.name ?? 'the model';
  const ratio = K > 0 ? N / K : Number.POSITIVE_INFINITY;
  const psnr = result ? formatPsnr(result.maskedPsnr) : '—';
  return (
    <article className="article" aria-labelledby="article-title">
      <h2 id="article-title" tabIndex={-1}>
        How a masked autoencoder sees
      </h2>
      <p className="article__lede">
        A short guide to what the tool above is doing. Every number in it comes from the run on show: change
        the image, the model or the mask and the text follows.
      </p>
      <nav aria-label="Article sections">
        <ol className="article__toc">
          {ARTICLE_SECTIONS.map((section) => (
            <li key={section.id}>
              <a
                href={`#article-${section.id}`}
                // Focus (and so scroll to) the heading; no fragment navigation, which would change
                // the page's URL state (urlSync) and leave focus behind.
                onClick={(event) => {
                  event.preventDefault();
                  document.getElementById(`article-${section.id}`)?.focus();
                }}
              >
                {section.title}
              </a>
            </li>
          ))}
        </ol>
      </nav>

      <ArticleSection section={ARTICLE_SECTIONS[0]!}>
        <p>
          An autoencoder is a network trained to give back its own input. That sounds pointless until you make
          the task hard: squeeze the picture through a narrow middle, or hide part of it, and the only way to
          rebuild it is to learn what pictures are usually like. The first half, the <em>encoder</em>, turns
          the input into a list of numbers; the second half, the <em>decoder</em>, turns those numbers back
          into a picture. After training, the decoder is usually thrown away and the encoder kept: its numbers
          have become a useful description of images.
        </p>
        <p>
          A Vision Transformer (ViT) reads an image as a sequence of square patches, like words in a sentence.
          Here the {S}×{S} picture is cut into {N} patches of {P}×{P} pixels, and each patch becomes one
          token.
        </p>
      </ArticleSection>

      <ArticleSection section={ARTICLE_SECTIONS[1]!}>
        <p>
          Masked autoencoders (MAE) hide most of the patches at random and ask the model to paint them back.
          In text, hiding 15 % of the words is already hard, because every word carries a lot of meaning.
          Images are different: neighbouring patches repeat each other, so with a few hidden the model could
          cheat by copying and blurring its neighbours. He et al. found that hiding about 75 % removes that
          shortcut and forces the model to understand objects and scenes. The number of patches kept is
        </p>
        <p className="article__formula">
          <math display="block">
            <mi>K</mi>
            <mo>=</mo>
            <mo>⌊</mo>
            <mi>N</mi>
            <mo>(</mo>
            <mn>1</mn>
            <mo>−</mo>
            <mi>r</mi>
            <mo>)</mo>
            <mo>⌋</mo>
          </math>
        </p>
        <p>
          In the run on show, N = {N} and {hiddenPercent} % are hidden, so the encoder gets K = {K} patches.
          Training scores only the hidden patches, with the mean squared error over the set M of masked
          patches:
        </p>
        <p className="article__formula">
          <math display="block">
            <mi>L</mi>
            <mo>=</mo>
            <mfrac>
              <mn>1</mn>
              <mrow>
                <mo>|</mo>
                <mi>M</mi>
                <mo>|</mo>
              </mrow>
            </mfrac>
            <munder>
              <mo>∑</mo>
              <mrow>
                <mi>i</mi>
                <mo>∈</mo>
                <mi>M</mi>
              </mrow>
            </munder>
            <msup>
              <mrow>
                <mo>‖</mo>
                <msub>
                  <mover>
                    <mi>x</mi>
                    <mo>^</mo>
                  </mover>
                  <mi>i</mi>
                </msub>
                <mo>−</mo>
                {sub('x', 'i')}
                <mo>‖</mo>
              </mrow>
              <mn>2</mn>
            </msup>
          </math>
        </p>
      </ArticleSection>

      <ArticleSection section={ARTICLE_SECTIONS[2]!}>
        <p>
          Earlier masked models (BEiT, for one) replaced each hidden patch with a placeholder token and fed
          the whole sequence to the encoder. MAE simply leaves the hidden patches out: the encoder sees only
          the {K} visible ones, plus one summary token (cls). That does more than save memory. Self-attention
          compares every token with every other, so its cost grows with the square of the sequence length; the
          rest of each layer grows linearly. With {N} patches against {K}, that is{' '}
          {Number.isFinite(ratio)
            ? `${ratio.toFixed(1)}× fewer tokens and up to ${(ratio * ratio).toFixed(0)}× less attention work`
            : 'nothing left to attend to'}{' '}
          in each of the {layers} encoder layers. It also means the encoder is never trained on placeholder
          tokens it would not meet later, when it looks at whole images.
        </p>
        <EncoderTimingLine />
        <p>
          In the run on show the encoder took {result ? formatMs(result.encoderMs) : '—'} and the decoder{' '}
          {result ? formatMs(result.decoderMs) : '—'}.
        </p>
      </ArticleSection>

      <ArticleSection section={ARTICLE_SECTIONS[3]!}>
        <p>
          The decoder gets the encoder&rsquo;s {K} output tokens put back in their places, and one shared,
          learned mask token in each of the {N - K} empty places. It adds a position to every token, so that
          the mask tokens know where they are, and mixes them all through {decoderLayers} transformer layers.
          A final linear layer turns each token into {P}×{P}×3 pixel values. The decoder is small and exists
          only for training: it is the part that has to imagine the missing content, so the encoder can
          concentrate on describing what it saw.
        </p>
      </ArticleSection>

      <ArticleSection section={ARTICLE_SECTIONS[4]!}>
        <p>
          The loss can compare raw pixels, or pixels normalised within each patch by that patch&rsquo;s own
          mean and standard deviation:
        </p>
        <p className="article__formula">
          <math display="block">
            <msub>
              <mover>
                <mi>x</mi>
                <mo>~</mo>
              </mover>
              <mi>i</mi>
            </msub>
            <mo>=</mo>
            <mfrac>
              <mrow>
                {sub('x', 'i')}
                <mo>−</mo>
                {sub('μ', 'i')}
              </mrow>
              <msqrt>
                <msubsup>
                  <mi>σ</mi>
                  <mi>i</mi>
                  <mn>2</mn>
                </msubsup>
                <mo>+</mo>
                <mi>ε</mi>
              </msqrt>
            </mfrac>
          </math>
        </p>
        <p>
          With this <code>norm_pix_loss</code>, the model is not asked for a patch&rsquo;s overall brightness
          and colour, only for its pattern: edges and texture count for more, and the paper found the learned
          features better. The catch for a viewer is that the output is not a picture until someone supplies
          each patch&rsquo;s mean and spread, which for a hidden patch the model never saw. {name}{' '}
          {normPix
            ? 'was trained this way, so the page has to borrow those statistics (the notice above the views says from where).'
            : 'was trained on raw pixels, so its output is a picture as it is.'}
        </p>
      </ArticleSection>

      <ArticleSection section={ARTICLE_SECTIONS[5]!}>
        <p>
          The reconstructions are blurry, and that is not a bug. When many pictures are possible behind a
          hidden patch (is the cat&rsquo;s ear there or a little higher?), the single guess that minimises the
          squared error is their average:
        </p>
        <p className="article__formula">
          <math display="block">
            <munder>
              <mrow>
                <mi>arg</mi>
                <mo>&#x2061;</mo>
                <mi>min</mi>
              </mrow>
              <mi>c</mi>
            </munder>
            <mi>𝔼</mi>
            <mo>[</mo>
            <msup>
              <mrow>
                <mo>(</mo>
                <mi>X</mi>
                <mo>−</mo>
                <mi>c</mi>
                <mo>)</mo>
              </mrow>
              <mn>2</mn>
            </msup>
            <mo>]</mo>
            <mo>=</mo>
            <mi>𝔼</mi>
            <mo>[</mo>
            <mi>X</mi>
            <mo>]</mo>
          </math>
        </p>
        <p>
          An average of sharp possibilities is a soft smear. So MAE paints the large shapes and colours well
          and gives up on fine texture, and the further a hidden patch is from anything visible, the softer it
          gets. Sharp edges are hard too, because being slightly wrong about where an edge is costs more than
          blurring it. The score used here is the peak signal-to-noise ratio over the hidden patches,
        </p>
        <p className="article__formula">
          <math display="block">
            <mtext>PSNR</mtext>
            <mo>=</mo>
            <mn>10</mn>
            <msub>
              <mi>log</mi>
              <mn>10</mn>
            </msub>
            <mfrac>
              <msup>
                <mn>255</mn>
                <mn>2</mn>
              </msup>
              <mtext>MSE</mtext>
            </mfrac>
          </math>
        </p>
        <p>
          and on this image {name} scores {psnr}
          {baseline
            ? `, against ${formatPsnr(baseline.psnr)} for plain interpolation`
            : ' (switch on “Compare with interpolation” to see what plain blurring scores)'}
          . PSNR itself rewards blur, which is why a smooth fill is a hard baseline to beat on this number,
          even though the model&rsquo;s guesses carry more structure. The error map in the last step shows
          where the guesses went wrong: usually at edges, eyes and text.
        </p>
      </ArticleSection>

      <section className="article__section" aria-labelledby="article-references">
        <h3 id="article-references" tabIndex={-1}>
          References
        </h3>
        <ol className="article__references">
          <li>
            K. He, X. Chen, S. Xie, Y. Li, P. Dollár, R. Girshick. “Masked Autoencoders Are Scalable Vision
            Learners.” CVPR 2022; <a href="https://arxiv.org/abs/2111.06377">arXiv:2111.06377</a> (2021).
          </li>
          <li>
            A. Dosovitskiy et al. “An Image is Worth 16x16 Words: Transformers for Image Recognition at
            Scale.” ICLR 2021; <a href="https://arxiv.org/abs/2010.11929">arXiv:2010.11929</a> (2020).
          </li>
          <li>
            H. Bao, L. Dong, S. Piao, F. Wei. “BEiT: BERT Pre-Training of Image Transformers.” ICLR 2022;{' '}
            <a href="https://arxiv.org/abs/2106.08254">arXiv:2106.08254</a> (2021).
          </li>
        </ol>
      </section>
    </article>
  );
}
