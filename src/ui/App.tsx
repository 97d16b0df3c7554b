export function App() {
  return (
    <main>
      <h1>MAE Lens</h1>
      <p>See what a Masked Autoencoder reconstructs from the patches you leave visible.</p>
    </main>
  );
}
