/**
 * MathML elements in JSX: Chromium, Firefox and Safari render MathML Core natively, and React
 * creates these in the MathML namespace, but @types/react does not list them.
 */
import 'react';

type MathProps = React.HTMLAttributes<HTMLElement> & {
  display?: 'block' | 'inline';
  stretchy?: 'true' | 'false';
  form?: 'prefix' | 'infix' | 'postfix';
};

declare module 'react' {
  namespace JSX {
    interface IntrinsicElements {
      math: MathProps;
      mrow: MathProps;
      mi: MathProps;
      mn: MathProps;
      mo: MathProps;
      mtext: MathProps;
      mfrac: MathProps;
      mover: MathProps;
      msub: MathProps;
      msup: MathProps;
      msubsup: MathProps;
      msqrt: MathProps;
      munder: MathProps;
      munderover: MathProps;
      mspace: MathProps & { width?: string };
    }
  }
}
