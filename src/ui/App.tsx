import { CameraBar } from './components/CameraControls';
import { Credits } from './components/Credits';
import { DownloadFigure } from './components/DownloadFigure';
import { ErrorAlert } from './components/ErrorAlert';
import { ImageInputs } from './components/ImageInputs';
import { ImagePicker } from './components/ImagePicker';
import { MaskModePicker, MaskRatioSlider, SeedControl } from './components/MaskControls';
import { ModelPicker } from './components/ModelPicker';
import { NormPixNotice } from './components/NormPixNotice';
import { OfflineStatus, UpdateBanner } from './components/OfflineStatus';
import { PipelineStepper } from './components/PipelineStepper';
import { Stats, ViewsPanel } from './components/ViewsPanel';

function Logo() {
  // A 3x3 patch grid with most cells hidden: the idea of the page in one glyph.
  const visible = new Set([0, 4, 8]);
  return (
    <svg className="logo" viewBox="0 0 30 30" aria-hidden="true">
      {Array.from({ length: 9 }, (_, i) => (
        <rect
          key={i}
          x={(i % 3) * 10 + 1}
          y={Math.floor(i / 3) * 10 + 1}
          width="8"
          height="8"
          rx="2"
          className={visible.has(i) ? 'logo__visible' : 'logo__hidden'}
        />
      ))}
    </svg>
  );
}

export function App() {
  return (
    <div className="app">
      <header className="masthead">
        <div className="masthead__brand">
          <Logo />
          <h1>MAE Lens</h1>
        </div>
        <p className="masthead__intro">
          A Masked Autoencoder cuts an image into patches, shows its encoder only a small random subset, and
          learns to paint back everything it did not see. Hide as much as you like below and watch the model
          fill the gaps, live, on your own device: nothing leaves your browser.
        </p>
      </header>

      <UpdateBanner />
      <ErrorAlert />

      <main className="workspace">
        <section className="stage" aria-label="Reconstruction">
          <NormPixNotice />
          <CameraBar />
          <ViewsPanel />
          <div className="controls-bar">
            <MaskRatioSlider />
            <SeedControl />
          </div>
          <MaskModePicker />
          <div className="stats-bar">
            <Stats />
            <DownloadFigure />
          </div>
        </section>

        <PipelineStepper />

        <div className="panels">
          <section className="panel" aria-labelledby="image-title">
            <h2 id="image-title">Image</h2>
            <ImagePicker />
          </section>
          <section className="panel" aria-labelledby="model-title">
            <h2 id="model-title">Model</h2>
            <ModelPicker />
            <OfflineStatus />
          </section>
        </div>
      </main>

      <footer className="footer">
        <Credits />
        <p className="footer__note">
          MAE Lens runs a ViT-MAE exported to ONNX with onnxruntime-web, in a Web Worker. Method: He et al.,
          “Masked Autoencoders Are Scalable Vision Learners”, CVPR 2022.
        </p>
      </footer>

      <ImageInputs />
    </div>
  );
}
